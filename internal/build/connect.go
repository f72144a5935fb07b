package build

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"

	// Importing a connection helper registers its URL scheme with the BuildKit client: these are
	// how `build` reaches a daemon that is not on a local socket (docker/setup-buildx-action's
	// docker-container driver, a podman container, a BuildKit pod or fleet in Kubernetes, a
	// builder host over ssh). Each runs the named CLI with `buildctl dial-stdio` inside.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// AddrSchemes are the daemon address schemes build accepts, with the program each one needs on
// PATH ("" for a direct connection).
var AddrSchemes = []struct{ Scheme, Needs, Example string }{
	{"unix", "", "unix:///run/buildkit/buildkitd.sock"},
	{"tcp", "", "tcp://buildkit.internal:1234 (with --tlscacert, --tlscert, --tlskey)"},
	{"docker-container", "docker", "docker-container://buildx_buildkit_builder0"},
	{"podman-container", "podman", "podman-container://buildkitd"},
	{"kube-pod", "kubectl", "kube-pod://buildkitd-0?namespace=ci&context=fleet"},
	{"ssh", "ssh", "ssh://builder@build-host.internal"},
}

// UnsupportedAddrError is an address build cannot dial: an unknown scheme, or a helper scheme
// whose program is missing.
type UnsupportedAddrError struct {
	Addr string
	Msg  string
}

func (e *UnsupportedAddrError) Error() string { return e.Addr + ": " + e.Msg }

// checkAddr says, before dialling, why addr cannot work here. A helper scheme runs a CLI (docker
// exec, podman exec, kubectl exec, ssh); without it BuildKit's own error is an opaque broken
// stream, so this names the missing program and what it is for.
func checkAddr(addr string) error {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" {
		return &UnsupportedAddrError{Addr: addr, Msg: "not a daemon address; want SCHEME://..., e.g. " + AddrSchemes[0].Example}
	}
	for _, s := range AddrSchemes {
		if s.Scheme != u.Scheme {
			continue
		}
		if s.Needs == "" {
			return nil
		}
		if _, err := exec.LookPath(s.Needs); err != nil {
			return &UnsupportedAddrError{Addr: addr, Msg: fmt.Sprintf(
				"%s:// reaches BuildKit by running `%s` (%s ... buildctl dial-stdio), and %s is not installed here: %v",
				s.Scheme, s.Needs, helperVerb(s.Scheme), s.Needs, err) + helperHint(s.Scheme)}
		}
		return nil
	}
	names := make([]string, len(AddrSchemes))
	for i, s := range AddrSchemes {
		names[i] = s.Scheme
	}
	return &UnsupportedAddrError{Addr: addr, Msg: fmt.Sprintf("unsupported scheme %q (valid: %s)", u.Scheme, strings.Join(names, ", "))}
}

func helperVerb(scheme string) string {
	switch scheme {
	case "docker-container":
		return "docker exec -i <container>"
	case "podman-container":
		return "podman exec -i <container>"
	case "kube-pod":
		return "kubectl exec -i <pod>"
	}
	return "ssh <host>"
}

func helperHint(scheme string) string {
	if scheme == "docker-container" {
		return "; a docker-container:// builder lives in a Docker engine (docker/setup-buildx-action's driver) — run where that engine is, or give a unix:// or tcp:// daemon"
	}
	return ""
}
