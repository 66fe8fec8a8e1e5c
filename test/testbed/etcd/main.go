// Command etcd is upstream's server/main.go, built from a wrapper module
// because go.etcd.io/etcd/server/v3 cannot be `go install`ed directly
// (its go.mod has replace directives). Built by ../build.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
