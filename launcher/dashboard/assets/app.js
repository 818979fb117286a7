// krgdemo dashboard: plain DOM and SVG, no library, nothing from the network.
// State comes as Server-Sent Events from /api/events: "state" several times a
// second (nodes, processes, migrations, the followed run) and "run" (each
// line of the run's events.ndjson: start, worker, unit with its tile, end).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
// Okabe-Ito and friends, darkened: distinct for colour-blind eyes and still
// saturated on a washed-out projector.
const NODE_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#8a6d00',
  '#56b4e9', '#6a3d9a', '#a6002a', '#1b7837', '#444444', '#e69f00', '#004d80'];

const $ = (id) => document.getElementById(id);
const view = {
  nodes: [], // ids in the order shown
  laneOf: new Map(), // node id -> lane geometry
  layoutKey: '',
  procsKey: '',
  control: false,
  states: 0,
  lastMigration: -1,
  firstState: true,
  dragging: null,
  run: { pass: 0, total: 0, done: 0, tiles: new Map(), perNode: new Map(), preview: [0, 0] },
};

function colourOf(nodeId) {
  const i = view.nodes.indexOf(nodeId);
  return NODE_COLOURS[(i >= 0 ? i : Math.abs(nodeId)) % NODE_COLOURS.length];
}

function el(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function text(tag, attrs, content, parent) {
  const e = el(tag, attrs, parent);
  e.textContent = content;
  return e;
}

function pct(x) { return Math.round(100 * x) + '%'; }

function say(message, bad) {
  const m = $('message');
  m.textContent = message;
  m.className = bad ? 'bad' : '';
}

// ---- the nodes view ------------------------------------------------------

// Lanes fill the height the page gives the view (1000 units wide).
function laneGeometry(count) {
  const cols = count > 32 ? 4 : count > 12 ? 2 : 1;
  const rows = Math.ceil(count / cols);
  const box = $('nodes').getBoundingClientRect();
  const avail = box.width > 0 ? (1000 * box.height) / box.width : 600;
  const laneH = Math.max(34, Math.min(380, avail / rows));
  return { cols, rows, laneW: 1000 / cols, laneH, height: rows * laneH };
}

function buildNodes(nodes) {
  const svg = $('nodes');
  svg.replaceChildren();
  view.procsKey = '';
  view.nodes = nodes.map((n) => n.id);
  view.laneOf.clear();
  const g = laneGeometry(nodes.length);
  svg.setAttribute('viewBox', `0 0 1000 ${g.height}`);
  svg.setAttribute('preserveAspectRatio', 'xMidYMin meet');
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 8, refY: 5,
    markerWidth: 4, markerHeight: 4, orient: 'auto-start-reverse' }, defs);
  el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#d00' }, marker);
  const font = Math.max(13, Math.min(46, g.laneH * 0.28));
  nodes.forEach((n, i) => {
    const x = (i % g.cols) * g.laneW, y = Math.floor(i / g.cols) * g.laneH;
    const lane = { id: n.id, x, y, w: g.laneW, h: g.laneH };
    const group = el('g', { class: 'node', 'data-node': n.id }, svg);
    lane.rect = el('rect', { class: 'lane', x: x + 2, y: y + 2, width: g.laneW - 4,
      height: g.laneH - 4, rx: 6 }, group);
    el('rect', { x: x + 6, y: y + 6, width: 10, height: g.laneH - 12, fill: colourOf(n.id) }, group);
    // A machine of a cluster is named by its address (smaller, it is longer).
    const label = text('text', { class: 'node-label', x: x + 24,
      y: y + g.laneH / 2 + font * 0.35, 'font-size': n.address ? font * 0.5 : font },
    n.address || 'node ' + n.id, group);
    if (n.address) label.setAttribute('data-address', n.address);
    const bx = x + 24 + font * 4.2, bw = g.laneW * 0.36;
    const cpuH = (g.laneH - 16) * 0.58, memH = (g.laneH - 16) * 0.3;
    el('rect', { class: 'bar-bg', x: bx, y: y + 8, width: bw, height: cpuH }, group);
    lane.cpu = el('rect', { class: 'bar-cpu', x: bx, y: y + 8, width: 0, height: cpuH,
      'data-load': 0 }, group);
    el('rect', { class: 'bar-bg', x: bx, y: y + 10 + cpuH, width: bw, height: memH }, group);
    lane.mem = el('rect', { class: 'bar-mem', x: bx, y: y + 10 + cpuH, width: 0,
      height: memH }, group);
    lane.cpuText = text('text', { class: 'pct', x: bx + bw + 6, y: y + 8 + cpuH * 0.8,
      'font-size': Math.min(font, cpuH * 0.95) }, '0%', group);
    lane.memText = text('text', { class: 'pct', x: bx + bw + 6, y: y + 10 + cpuH + memH,
      'font-size': Math.max(11, Math.min(font * 0.6, memH * 1.1)) }, '', group);
    lane.barX = bx;
    lane.barW = bw;
    lane.procX = bx + bw + font * 4.4;
    view.laneOf.set(n.id, lane);
  });
  el('g', { id: 'procs' }, svg);
  el('g', { id: 'arrows' }, svg);
}

function updateNodes(state) {
  const key = state.nodes.map((n) => n.id + (n.address || '')).join(',');
  if (key !== view.layoutKey) {
    view.layoutKey = key;
    buildNodes(state.nodes);
  }
  for (const n of state.nodes) {
    const lane = view.laneOf.get(n.id);
    lane.cpu.setAttribute('width', (lane.barW * n.load).toFixed(1));
    lane.cpu.setAttribute('data-load', n.load.toFixed(3));
    lane.cpuText.textContent = n.reachable === false ? 'unreachable' : pct(n.load);
    lane.mem.setAttribute('width', (lane.barW * n.mem).toFixed(1));
    lane.memText.textContent = 'mem ' + pct(n.mem) + (state.memory_shared ? ' (shared)' : '');
  }
  const procsKey = JSON.stringify(state.procs) + view.layoutKey;
  if (!view.dragging && procsKey !== view.procsKey) {
    view.procsKey = procsKey;
    drawProcs(state.procs);
  }
  drawGauge(state.balance);
}

function drawProcs(procs) {
  const g = $('procs');
  g.replaceChildren();
  const perLane = new Map();
  // Workers first, then the master, then other krgdemo processes: a chip
  // stays put while unrelated processes come and go.
  const rank = { worker: 0, master: 1 };
  const sorted = [...procs].sort((a, b) =>
    (rank[a.role] ?? 2) - (rank[b.role] ?? 2) || a.pid - b.pid);
  for (const p of sorted) {
    const lane = view.laneOf.get(p.node);
    if (!lane) continue; // a node this view does not show (or unknown)
    const k = perLane.get(p.node) || 0;
    perLane.set(p.node, k + 1);
    const h = Math.min(40, lane.h * 0.5), w = h * 2.6;
    const room = Math.floor((lane.x + lane.w - lane.procX - 4) / (w + 4));
    if (k >= room) continue;
    const x = lane.procX + k * (w + 4), y = lane.y + (lane.h - h) / 2;
    const chip = el('g', { class: 'proc ' + p.role, 'data-pid': p.pid, 'data-node': p.node,
      transform: `translate(${x},${y})` }, g);
    const fill = p.role === 'worker' ? colourOf(p.node) : null;
    const shape = el('rect', { width: w, height: h, rx: h / 2 }, chip);
    if (fill) shape.setAttribute('fill', fill);
    if (p.role === 'master') {
      shape.setAttribute('fill', '#fff');
      shape.setAttribute('stroke', '#111');
      shape.setAttribute('stroke-width', 3);
    } else if (p.role === 'krgdemo') {
      shape.setAttribute('fill', '#555');
    }
    const label = text('text', { x: w / 2, y: h * 0.7, 'text-anchor': 'middle',
      'font-size': h * 0.55 }, String(p.pid), chip);
    if (p.role === 'master') label.setAttribute('fill', '#111');
    el('title', {}, chip).textContent = `${p.role} ${p.pid} on node ${p.node}`;
    chip.addEventListener('pointerdown', (e) => startDrag(e, chip, p));
  }
}

function svgPoint(e) {
  const svg = $('nodes');
  const pt = svg.createSVGPoint();
  pt.x = e.clientX;
  pt.y = e.clientY;
  return pt.matrixTransform(svg.getScreenCTM().inverse());
}

function laneAt(pt) {
  for (const lane of view.laneOf.values()) {
    if (pt.x >= lane.x && pt.x < lane.x + lane.w && pt.y >= lane.y && pt.y < lane.y + lane.h) {
      return lane;
    }
  }
  return null;
}

function startDrag(e, chip, proc) {
  if (!view.control) {
    say('Read-only: start the dashboard with --allow-control to migrate by dragging.', true);
    return;
  }
  e.preventDefault();
  const start = svgPoint(e);
  const base = chip.getAttribute('transform');
  view.dragging = { chip, proc, start, base, over: null };
  chip.setPointerCapture(e.pointerId);
  chip.addEventListener('pointermove', moveDrag);
  chip.addEventListener('pointerup', endDrag, { once: true });
  chip.addEventListener('pointercancel', endDrag, { once: true });
}

function moveDrag(e) {
  const d = view.dragging;
  if (!d) return;
  const pt = svgPoint(e);
  d.chip.setAttribute('transform', `${d.base} translate(${pt.x - d.start.x},${pt.y - d.start.y})`);
  const lane = laneAt(pt);
  if (d.over && d.over !== lane) d.over.rect.classList.remove('target');
  if (lane) lane.rect.classList.add('target');
  d.over = lane;
}

function endDrag(e) {
  const d = view.dragging;
  if (!d) return;
  d.chip.removeEventListener('pointermove', moveDrag);
  if (d.over) d.over.rect.classList.remove('target');
  view.dragging = null;
  view.procsKey = ''; // the next snapshot puts the chip where it really is
  const lane = e.type === 'pointerup' ? laneAt(svgPoint(e)) : null;
  if (lane && lane.id !== d.proc.node) {
    post('/api/migrate', { pid: d.proc.pid, node: lane.id }).then((r) => {
      if (r.ok) say(`Moving process ${d.proc.pid} to node ${lane.id}…`);
    });
  }
}

function drawArrow(m) {
  const a = view.laneOf.get(m.from), b = view.laneOf.get(m.to);
  if (!a || !b) return;
  const x1 = a.procX - 10, y1 = a.y + a.h / 2, x2 = b.procX - 10, y2 = b.y + b.h / 2;
  const bend = Math.max(60, Math.abs(y2 - y1) * 0.5);
  const arrow = el('path', { class: 'arrow',
    d: `M${x1},${y1} C${x1 - bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` }, $('arrows'));
  setTimeout(() => arrow.remove(), 3200);
}

function updateMigrations(list) {
  const log = $('migrations');
  for (const m of list) {
    if (m.t <= view.lastMigration) continue;
    view.lastMigration = m.t;
    if (!view.firstState) drawArrow(m);
    const li = document.createElement('li');
    li.textContent = `${m.t.toFixed(1)} s  process ${m.pid}: node ${m.from} → node ${m.to}`;
    log.prepend(li);
    while (log.children.length > 30) log.lastChild.remove();
  }
}

function drawGauge(balance) {
  const svg = $('gauge');
  svg.replaceChildren();
  const cx = 100, cy = 100, r = 80;
  const arc = (f) => {
    const a = Math.PI * (1 - f);
    return `M${cx - r},${cy} A${r},${r} 0 0 1 ${(cx + r * Math.cos(a)).toFixed(1)},${(cy - r * Math.sin(a)).toFixed(1)}`;
  };
  el('path', { d: arc(1), stroke: '#ccc', 'stroke-width': 22, fill: 'none' }, svg);
  const colour = balance >= 0.8 ? '#006b2e' : balance >= 0.5 ? '#a86400' : '#b00020';
  if (balance > 0.005) {
    el('path', { d: arc(Math.min(1, balance)), stroke: colour, 'stroke-width': 22, fill: 'none' }, svg);
  }
  text('text', { x: cx, y: cy - 12, 'text-anchor': 'middle', 'font-size': 34,
    'font-weight': 'bold', fill: '#111', id: 'balance' }, pct(balance), svg);
  text('text', { x: cx, y: cy + 14, 'text-anchor': 'middle', 'font-size': 17, fill: '#111' },
    'balance', svg);
}

// ---- the run -------------------------------------------------------------

function resetRun(start) {
  const r = view.run;
  r.pass = 0;
  r.done = 0;
  r.tiles = new Map();
  r.perNode = new Map();
  r.total = start.units || 0;
  r.preview = start.preview || [0, 0];
  const canvas = $('picture');
  const has = r.preview[0] > 0;
  canvas.hidden = !has;
  $('no-picture').hidden = has;
  if (has) {
    canvas.width = r.preview[0];
    canvas.height = r.preview[1];
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
  } else {
    $('no-picture').textContent = `${start.demo} has no picture: its progress shows below.`;
  }
  canvas.dataset.tiles = 0;
  $('run-title').textContent = `${start.demo} · ${start.size} · ${start.engine} · ` +
    `${start.nodes} node${start.nodes === 1 ? '' : 's'}`;
  setStatus('running', '');
  drawProgress();
}

function setStatus(textContent, cls) {
  const s = $('run-status');
  s.textContent = textContent;
  s.className = 'pill ' + cls;
}

// The picture stays the picture: ownership is a solid marker strip at the
// left edge of each tile in its node's colour (on mandelbrot's bands, a
// gutter down the left side saying which node drew which band). A wash or a
// frame over a band a few pixels high turned the fractal into stripes.
function drawTile(tile, node) {
  const ctx = $('picture').getContext('2d');
  const raw = atob(tile.rgb);
  const img = ctx.createImageData(tile.w, tile.h);
  for (let i = 0, j = 0; i + 2 < raw.length && j < img.data.length; i += 3, j += 4) {
    img.data[j] = raw.charCodeAt(i);
    img.data[j + 1] = raw.charCodeAt(i + 1);
    img.data[j + 2] = raw.charCodeAt(i + 2);
    img.data[j + 3] = 255;
  }
  ctx.putImageData(img, tile.x, tile.y);
  if ($('f-tint').checked) {
    ctx.fillStyle = colourOf(node);
    const strip = Math.max(4, Math.round(ctx.canvas.width / 60));
    ctx.fillRect(tile.x, tile.y, Math.min(strip, tile.w), tile.h);
  }
}

// Tiles are kept by position: a new pass redraws each tile over the last
// one (same pixels, maybe another node), so the picture never goes blank.
function onUnit(ev) {
  const r = view.run;
  if (ev.pass !== r.pass) {
    r.pass = ev.pass;
    r.done = 0;
    r.perNode = new Map();
  }
  r.done += 1;
  r.perNode.set(ev.node, (r.perNode.get(ev.node) || 0) + 1);
  if (ev.tile && r.preview[0] > 0) {
    r.tiles.set(ev.tile.x + ',' + ev.tile.y, [ev.tile, ev.node]);
    drawTile(ev.tile, ev.node);
    $('picture').dataset.tiles = r.tiles.size;
  }
  drawProgress();
}

// The bar and its text say the same: the units of this pass done, with no
// animation that would lag behind (or, as a pass restarts, ahead of) them.
function drawProgress() {
  const r = view.run;
  const f = r.total > 0 ? Math.min(1, r.done / r.total) : 0;
  $('progress-bar').style.width = (100 * f).toFixed(1) + '%';
  $('progress-text').textContent = r.total > 0 ?
    `pass ${r.pass || 1}: ${r.done} / ${r.total} units · ${pct(f)}` : '';
  const box = $('per-node');
  box.replaceChildren();
  for (const [node, count] of [...r.perNode.entries()].sort((a, b) => a[0] - b[0])) {
    const s = document.createElement('span');
    s.style.background = colourOf(node);
    s.textContent = `node ${node}: ${count}`;
    box.appendChild(s);
  }
}

function onRunEvent(ev) {
  if (ev.ev === 'start') {
    resetRun(ev);
  } else if (ev.ev === 'unit') {
    onUnit(ev);
  } else if (ev.ev === 'end') {
    if (ev.ok) {
      setStatus('verified ✓ ' + (ev.median_s ? ev.median_s.toFixed(2) + ' s' : ''), 'ok');
    } else {
      setStatus(ev.detail || 'failed', 'bad');
    }
    loadResults();
  }
}

function redrawTiles() {
  const c = $('picture');
  c.getContext('2d').clearRect(0, 0, c.width, c.height);
  for (const [tile, node] of view.run.tiles.values()) drawTile(tile, node);
}

// ---- state, control ------------------------------------------------------

function onState(state) {
  view.states += 1;
  document.body.dataset.states = view.states;
  $('platform').textContent = `${state.platform} · ${state.nodes.length} nodes`;
  setControl(state.control);
  updateNodes(state);
  updateMigrations(state.migrations);
  if (state.child && state.child.exit && state.child.exit.code) {
    const r = state.run;
    if (!r || !r.end) {
      setStatus(`exited: ${state.child.exit.text}`, 'bad');
    }
  }
  view.firstState = false;
}

function setControl(on) {
  view.control = on;
  const mode = $('mode');
  mode.textContent = on ? 'control on' : 'read-only';
  $('control').classList.toggle('off', !on);
  for (const id of ['f-start', 'f-stop']) $(id).disabled = !on;
  $('drag-hint').textContent = on ?
    'Drag a process onto another node to migrate it.' :
    'Read-only: start with --allow-control to start runs and migrate processes.';
}

// The control secret: the printed URL carries it (?token=...); kept for this
// tab and taken off the address bar, which a projector shows to the room.
const controlToken = (() => {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem('krgdemo-token', given);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem('krgdemo-token') || '';
})();

async function post(url, body) {
  try {
    const r = await fetch(url, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Krgdemo-Token': controlToken },
      body: JSON.stringify(body) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) say(j.error || `HTTP ${r.status}`, true);
    return { ok: r.ok, body: j };
  } catch (err) {
    say('The dashboard does not answer: ' + err.message, true);
    return { ok: false, body: {} };
  }
}

// Replaces the options of <select> `el` with `names` and selects `chosen`.
function fillSelect(el, names, chosen) {
  el.replaceChildren();
  for (const name of names) {
    const o = document.createElement('option');
    o.textContent = name;
    el.appendChild(o);
  }
  el.value = names.includes(chosen) ? chosen : names[0];
}

async function loadCatalog() {
  const r = await fetch('/api/catalog');
  const c = await r.json();
  const demo = $('f-demo');
  demo.replaceChildren();
  for (const d of c.demos) {
    const o = document.createElement('option');
    o.value = d.name;
    o.textContent = d.name;
    o.title = d.summary;
    demo.appendChild(o);
  }
  demo.value = c.demos.some((d) => d.name === 'mandelbrot') ? 'mandelbrot' : c.demos[0].name;
  // The params field's tooltip lists the chosen demo's --param keys.
  const showParamsHelp = () => {
    const d = c.demos.find((x) => x.name === demo.value);
    $('f-params').title = d && d.params_help ? d.params_help : 'this demo takes no params';
  };
  demo.addEventListener('change', showParamsHelp);
  showParamsHelp();
  fillSelect($('f-size'), c.sizes, 'small');
  fillSelect($('f-engine'), c.engines, 'procs');
  const nodes = $('f-nodes');
  nodes.max = Math.max(1, c.node_ids.length);
  nodes.value = Math.min(4, Math.max(1, c.node_ids.length));
  setControl(c.control);
}

function setupControl() {
  $('control').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!view.control) return;
    const params = {};
    for (const word of $('f-params').value.trim().split(/\s+/).filter((w) => w)) {
      const eq = word.indexOf('=');
      if (eq <= 0) {
        say(`Params are key=value words separated by spaces: '${word}' is not`, true);
        return;
      }
      params[word.slice(0, eq)] = word.slice(eq + 1);
    }
    const body = { demo: $('f-demo').value, nodes: Number($('f-nodes').value),
      engine: $('f-engine').value, size: $('f-size').value, params };
    const r = await post('/api/run', body);
    if (r.ok) say(`Started ${body.demo} (pid ${r.body.pid}); results in ${r.body.dir}`);
  });
  $('f-stop').addEventListener('click', async () => {
    const r = await post('/api/stop', {});
    if (r.ok) say('Stopping the run…');
  });
  $('f-tint').addEventListener('change', redrawTiles);
}

function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => {
    $('conn').textContent = 'live';
    $('conn').className = 'pill ok';
  });
  es.addEventListener('error', () => {
    $('conn').textContent = 'reconnecting…';
    $('conn').className = 'pill bad';
  });
  es.addEventListener('state', (e) => onState(JSON.parse(e.data)));
  es.addEventListener('run', (e) => onRunEvent(JSON.parse(e.data)));
}

// ---- past results --------------------------------------------------------

// One sweep (one result file) as a speedup curve.
function chart(series) {
  const box = document.createElement('div');
  box.className = 'chart';
  const h = document.createElement('h3');
  h.textContent = `${series.name} (${series.platform})`;
  box.appendChild(h);
  const about = document.createElement('p');
  about.className = 'about';
  about.textContent = series.file;
  box.appendChild(about);
  const W = 520, H = 300, L = 56, B = 44, T = 14, R = 20;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': 'speedup over nodes' }, box);
  const maxN = Math.max(...series.points.map((p) => p.nodes), series.base_nodes * 2);
  // Headroom above the highest point for its label.
  const maxS = 1.15 * Math.max(maxN, ...series.points.map((p) => p.speedup));
  const x = (n) => L + (W - L - R) * (n / maxN);
  const y = (s) => H - B - (H - B - T) * (s / maxS);
  const step = Math.max(1, Math.ceil(maxS / 5));
  for (let s = 0; s <= maxS; s += step) {
    el('line', { class: 'grid', x1: L, x2: W - R, y1: y(s), y2: y(s) }, svg);
    text('text', { class: 'tick', x: L - 8, y: y(s) + 5, 'text-anchor': 'end' }, s + '×', svg);
  }
  el('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }, svg);
  el('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }, svg);
  el('path', { class: 'ideal', d: `M${x(series.base_nodes)},${y(series.base_nodes)} L${x(maxN)},${y(maxN)}` }, svg);
  el('path', { class: 'series', d: series.points.map((p, i) =>
    `${i ? 'L' : 'M'}${x(p.nodes).toFixed(1)},${y(p.speedup).toFixed(1)}`).join(' ') }, svg);
  for (const p of series.points) {
    el('circle', { class: 'dot', cx: x(p.nodes), cy: y(p.speedup), r: 7 }, svg);
    text('text', { class: 'tick', x: x(p.nodes), y: H - B + 20, 'text-anchor': 'middle' },
      String(p.nodes), svg);
    // Labels of points in the right third go to the left of the dot, so
    // that none runs off the chart.
    const right = x(p.nodes) > L + 0.66 * (W - L - R);
    text('text', { class: 'tick', x: x(p.nodes) + (right ? -11 : 11), y: y(p.speedup) - 10,
      'font-weight': 'bold', 'text-anchor': right ? 'end' : 'start' },
      p.speedup.toFixed(2) + '×', svg);
    el('title', {}, svg).textContent = `${p.nodes} nodes: ${p.median_s.toFixed(3)} s`;
  }
  text('text', { class: 'tick', x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' },
    `nodes (speedup against ${series.base_nodes} node${series.base_nodes === 1 ? '' : 's'}; dashed: ideal)`, svg);
  return box;
}

// Runs of one node count: a time each, no speedup (nothing to compare).
function singleRuns(list) {
  const box = document.createElement('div');
  box.className = 'chart singles';
  const h = document.createElement('h3');
  h.textContent = 'Single runs (run "krgdemo scale" for a speedup curve)';
  box.appendChild(h);
  const table = document.createElement('table');
  for (const s of list) {
    const tr = table.insertRow();
    const p = s.points[0];
    for (const cell of [s.name, `${p.nodes} node${p.nodes === 1 ? '' : 's'}`,
      `${p.median_s.toFixed(3)} s`, s.file]) {
      tr.insertCell().textContent = cell;
    }
  }
  box.appendChild(table);
  return box;
}

async function loadResults() {
  try {
    const r = await fetch('/api/results');
    const j = await r.json();
    $('results-about').textContent = `${j.files} result file(s) in ${j.dir}` +
      (j.skipped ? `, ${j.skipped} not readable` : '') +
      (j.series.length ? '' : ': run "krgdemo scale DEMO" or start runs to fill this page.');
    const curves = j.series.filter((s) => s.points.length >= 2);
    const singles = j.series.filter((s) => s.points.length === 1);
    const boxes = curves.map(chart);
    if (singles.length) boxes.push(singleRuns(singles));
    $('charts').replaceChildren(...boxes);
  } catch (err) {
    $('results-about').textContent = 'Past results could not be read: ' + err.message;
  }
}

function setupTabs() {
  const show = (live) => {
    $('live').hidden = !live;
    $('results').hidden = live;
    $('tab-live').classList.toggle('active', live);
    $('tab-results').classList.toggle('active', !live);
    if (!live) loadResults();
  };
  $('tab-live').addEventListener('click', () => show(true));
  $('tab-results').addEventListener('click', () => show(false));
}

// Rebuild the lanes when the space for them changes (a resize, the first
// layout), on the next snapshot.
let lastNodesHeight = 0;
new ResizeObserver(() => {
  const h = $('nodes').getBoundingClientRect().height;
  if (Math.abs(h - lastNodesHeight) > 4) {
    lastNodesHeight = h;
    view.layoutKey = '';
  }
}).observe($('nodes'));
setupTabs();
setupControl();
loadCatalog().catch((err) => say('Could not load the demo list: ' + err.message, true));
connect();
