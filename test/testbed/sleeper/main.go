// Command sleeper is the only program in the test bed's container images: the
// real node's pause (sandbox) image, and the images that the real-node tests
// push, so that a pod really runs. It prints the image's /content file, if
// there is one (so `kubectl logs` tells which image runs), then waits for
// SIGTERM or SIGINT and exits 0. As PID 1 it also reaps orphans, as the
// Kubernetes pause container does.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if content, err := os.ReadFile("/content"); err == nil {
		fmt.Printf("content: %s\n", content)
	}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			return
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
