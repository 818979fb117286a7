# krgdemo desktop profile: the login-free console on tty1 starts the
# graphical session (openbox, see ~/.config/openbox/autostart); if X cannot
# start, the console menu opens instead. On a netbooted cluster node
# (krgdemo.head= on the kernel command line) it shows the node's screen
# instead (krgdemo-node --screen: which node, where its head is). Sourced by
# login shells.
if [ "$(tty 2>/dev/null)" = /dev/tty1 ] && [ -z "${KRGDEMO_SESSION:-}" ]; then
    export KRGDEMO_SESSION=1
    case " $(cat /proc/cmdline) " in
        *" krgdemo.head="*) krgdemo-node --screen ;;
        *) startx -- -nolisten tcp >"$HOME/.krgdemo-x.log" 2>&1 || krgdemo-menu ;;
    esac
fi
