/*
 * `feedwatch tail`: the alert stream for people. Connects to the alert socket
 * (Unix or TCP), asks for what it missed after a reconnect
 * ({"resume_after":N}), drops repeats, filters, and prints alerts readably
 * (colour on a terminal) or passes the NDJSON lines through when piped.
 * Control plane: a command of its own, run from main.c.
 */
#ifndef FW_TAIL_H
#define FW_TAIL_H

/*
 * Run `feedwatch tail` with <argc>/<argv> (argv[0] is "tail"; the options are
 * in tail.c's usage text). <default_socket> is used without --socket.
 * Returns the exit code: 0 at SIGINT/SIGTERM or, with --once, at the end of
 * the stream; 1 if, with --once, it could not connect; 2 on a usage error.
 * Installs SIGINT/SIGTERM handlers and blocks those signals outside its
 * waits; both are restored before it returns.
 */
int tail_main(int argc, char **argv, const char *default_socket);

#endif
