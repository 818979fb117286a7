# krgdemo desktop profile: the login-free console on tty1 starts the
# graphical session (openbox, see ~/.config/openbox/autostart); if X cannot
# start, the console menu opens instead. Sourced by login shells.
if [ "$(tty 2>/dev/null)" = /dev/tty1 ] && [ -z "${KRGDEMO_SESSION:-}" ]; then
    export KRGDEMO_SESSION=1
    startx -- -nolisten tcp >"$HOME/.krgdemo-x.log" 2>&1 || krgdemo-menu
fi
