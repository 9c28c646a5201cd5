package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// listen returns the socket to serve on. A service manager that holds the socket across
// restarts passes it as file descriptor 3 with LISTEN_FDS=1 (systemd socket activation;
// LISTEN_PID, when set, must be ours): a deploy then starts the new process on the same
// socket before the old one drains, and connections that arrive in between wait in the
// kernel's queue instead of being refused. Otherwise it binds addr.
func listen(addr string, getenv func(string) string) (net.Listener, error) {
	if getenv("LISTEN_FDS") == "1" && (getenv("LISTEN_PID") == "" || getenv("LISTEN_PID") == strconv.Itoa(os.Getpid())) {
		f := os.NewFile(3, "listen-socket")
		ln, err := net.FileListener(f)
		f.Close() // FileListener holds its own duplicate
		if err != nil {
			return nil, fmt.Errorf("socket passed in LISTEN_FDS: %w", err)
		}
		return ln, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}
