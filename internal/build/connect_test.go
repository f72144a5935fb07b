package build

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/build/buildtest"
)

func TestCheckAddr(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no docker, podman, kubectl or ssh
	for _, tt := range []struct{ addr, want string }{
		{"unix:///run/buildkit/buildkitd.sock", ""},
		{"tcp://127.0.0.1:1234", ""},
		{"docker-container://buildx_buildkit_builder0", "docker-container://buildx_buildkit_builder0: docker-container:// reaches BuildKit by running `docker` (docker exec -i <container> ... buildctl dial-stdio), and docker is not installed here: exec: \"docker\": executable file not found in $PATH; a docker-container:// builder lives in a Docker engine (docker/setup-buildx-action's driver) — run where that engine is, or give a unix:// or tcp:// daemon"},
		{"podman-container://buildkitd", "podman-container://buildkitd: podman-container:// reaches BuildKit by running `podman` (podman exec -i <container> ... buildctl dial-stdio), and podman is not installed here"},
		{"kube-pod://buildkitd-0?namespace=ci", "kube-pod://buildkitd-0?namespace=ci: kube-pod:// reaches BuildKit by running `kubectl` (kubectl exec -i <pod> ... buildctl dial-stdio), and kubectl is not installed here"},
		{"ssh://builder@host", "ssh://builder@host: ssh:// reaches BuildKit by running `ssh` (ssh <host> ... buildctl dial-stdio), and ssh is not installed here"},
		{"npipe:////./pipe/buildkitd", `npipe:////./pipe/buildkitd: unsupported scheme "npipe" (valid: unix, tcp, docker-container, podman-container, kube-pod, ssh)`},
		{"buildkitd.sock", "buildkitd.sock: not a daemon address; want SCHEME://..., e.g. unix:///run/buildkit/buildkitd.sock"},
		{"::", "::: not a daemon address"},
	} {
		err := checkAddr(tt.addr)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkAddr(%q) = %v; want nil", tt.addr, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("checkAddr(%q) = %v\nwant prefix %s", tt.addr, err, tt.want)
		}
	}
}

// TestConnectDockerContainerNoEngine: what docker/setup-buildx-action hands over fails here (no
// Docker engine, no docker CLI) with the reason, not "unsupported" and not a hang.
func TestConnectDockerContainerNoEngine(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := connect(context.Background(), "docker-container://buildx_buildkit_builder0", TLS{})
	var ue *UnsupportedAddrError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "docker is not installed here") || strings.Contains(err.Error(), "unsupported") {
		t.Fatalf("connect = %v; want an UnsupportedAddrError naming the missing docker", err)
	}
}

// TestConnectUnixAndTLS reaches the real daemon over its unix socket, then over tcp:// with
// mutual TLS through a TLS-terminating proxy in front of that socket (a remote BuildKit behind
// TLS, as a fleet is run), and checks that a client without a certificate is refused.
func TestConnectUnixAndTLS(t *testing.T) {
	addr := buildtest.Daemon(t)
	sock, ok := strings.CutPrefix(addr, "unix://")
	if !ok {
		t.Skipf("BUILDKIT_HOST=%s is not a unix socket; the TLS proxy needs one", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := connect(ctx, addr, TLS{})
	if err != nil {
		t.Fatalf("unix: %v", err)
	}
	c.Close()

	dir := t.TempDir()
	ca, caKey := newCA(t)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	serverCert := issue(t, ca, caKey, "buildkitd.test", x509.ExtKeyUsageServerAuth)
	clientCert := issue(t, ca, caKey, "molecule-ci", x509.ExtKeyUsageClientAuth)
	writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", clientCert.Certificate[0])
	kb, err := x509.MarshalECPrivateKey(clientCert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "client-key.pem"), "EC PRIVATE KEY", kb)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	tcpAddr := tlsProxy(t, sock, &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		NextProtos:   []string{"h2"},
		MinVersion:   tls.VersionTLS12,
	})

	good := TLS{CACert: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "client.pem"),
		Key: filepath.Join(dir, "client-key.pem"), ServerName: "buildkitd.test"}
	c, err = connect(ctx, "tcp://"+tcpAddr, good)
	if err != nil {
		t.Fatalf("tcp with TLS: %v", err)
	}
	ws, err := c.ListWorkers(ctx)
	c.Close()
	if err != nil || len(ws) == 0 {
		t.Fatalf("tcp with TLS: workers %v, %v", ws, err)
	}

	noCert := TLS{CACert: good.CACert, ServerName: good.ServerName}
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if c, err := connect(sctx, "tcp://"+tcpAddr, noCert); err == nil {
		c.Close()
		t.Fatal("tcp without a client certificate: connected; want the proxy to refuse it")
	} else if !strings.Contains(err.Error(), "cannot reach the BuildKit daemon at tcp://"+tcpAddr) {
		t.Fatalf("tcp without a client certificate: %v", err)
	}
}

// tlsProxy listens on loopback with TLS and pipes each connection to the unix socket.
func tlsProxy(t *testing.T, sock string, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				if err := in.(*tls.Conn).Handshake(); err != nil {
					return
				}
				out, err := net.Dial("unix", sock)
				if err != nil {
					return
				}
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "molecule-ci test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func issue(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
