// The test bed's container entrypoint: the real node's pause image and the
// images the real-node tests run. No dependencies. Built by ../build-node.sh.
module local/kubectl-autoupdate-testbed/sleeper

go 1.25.0
