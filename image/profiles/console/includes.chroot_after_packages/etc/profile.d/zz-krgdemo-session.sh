# krgdemo console profile: the login-free console on tty1 opens the menu
# (krgdemo-menu); leaving the menu leaves a shell. Sourced by login shells.
if [ "$(tty 2>/dev/null)" = /dev/tty1 ] && [ -z "${KRGDEMO_SESSION:-}" ]; then
    export KRGDEMO_SESSION=1
    krgdemo-menu
fi
