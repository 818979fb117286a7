# krgdemo console profile: the login-free console on tty1 opens the menu
# (krgdemo-menu); leaving the menu leaves a shell. On a netbooted cluster
# node (krgdemo.head= on the kernel command line) it shows the node's
# screen instead (krgdemo-node --screen: which node, where its head is).
# Sourced by login shells.
if [ "$(tty 2>/dev/null)" = /dev/tty1 ] && [ -z "${KRGDEMO_SESSION:-}" ]; then
    export KRGDEMO_SESSION=1
    case " $(cat /proc/cmdline) " in
        *" krgdemo.head="*) krgdemo-node --screen ;;
        *) krgdemo-menu ;;
    esac
fi
