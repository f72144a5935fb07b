package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Molecule-AI/molecule-ci/internal/config"
)

// maxRedirects is how many redirects a check follows before calling it a loop.
const maxRedirects = 10

// maxHeaderBytes bounds a response's header section, as a browser does (Chromium: 256 KiB): Go's
// default of 10 MB would read a hostile server's 2 MB header line into memory and quote it in
// the error.
const maxHeaderBytes = 256 << 10

// runner holds what the checks of one run share: one transport per address family, so
// connections are pooled per host without a check for v4 reusing a v6 connection.
type runner struct {
	opts       Options
	transports map[string]*http.Transport
}

func newRunner(opts Options) (*runner, error) {
	r := &runner{opts: opts, transports: map[string]*http.Transport{}}
	for _, family := range []string{"any", "v4", "v6"} {
		network := map[string]string{"any": "tcp", "v4": "tcp4", "v6": "tcp6"}[family]
		d := &net.Dialer{Timeout: opts.Config.Timeout, KeepAlive: 30 * time.Second}
		t := &http.Transport{
			Proxy: nil, // a probe measures the service, not a proxy in between
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			TLSClientConfig:     &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: opts.Config.Timeout,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
			ForceAttemptHTTP2:   true,
			// Also bounds HTTP/2 header lists (SETTINGS_MAX_HEADER_LIST_SIZE).
			MaxResponseHeaderBytes: maxHeaderBytes,
			// The body is measured as sent: a gzip the server chose is counted compressed.
			DisableCompression: true,
		}
		r.transports[family] = t
	}
	return r, nil
}

func (r *runner) close() {
	for _, t := range r.transports {
		t.CloseIdleConnections()
	}
}

// fetched is one HTTP exchange, measured.
type fetched struct {
	code      int
	header    http.Header
	body      []byte
	bytes     int64
	truncated bool
	latency   time.Duration
	ttfb      time.Duration
	tls       *tls.ConnectionState
}

// request is one HTTP exchange a check asks for.
type request struct {
	method, url string
	header      http.Header
	// configured names the headers the config set (headers, headers-from-env): a redirect to
	// another origin must not carry them.
	configured []string
	// refuse fails a redirect to another origin while configured headers are set, rather than
	// following it without them.
	refuse bool
	ip     string
	follow bool
}

// webRequest is the request of an http or status-json check, or the reason it cannot be sent
// (a headers-from-env variable is not set).
func (r *runner) webRequest(ch config.ProbeCheck, method string) (request, string) {
	rq := request{method: method, url: ch.URL, header: http.Header{}, ip: ch.IP,
		follow: ch.FollowRedirects == nil || *ch.FollowRedirects, refuse: r.opts.Config.RefusesCrossOrigin(ch)}
	for _, k := range sortedSlugs(ch.Headers) {
		rq.header.Set(k, ch.Headers[k])
		rq.configured = append(rq.configured, k)
	}
	for _, k := range sortedSlugs(ch.HeadersFromEnv) {
		v := r.opts.Getenv(ch.HeadersFromEnv[k])
		if v == "" {
			return rq, fmt.Sprintf("header %s: no $%s set", k, ch.HeadersFromEnv[k])
		}
		rq.header.Set(k, v)
		rq.configured = append(rq.configured, k)
	}
	return rq, ""
}

// checkRedirect is the redirect policy of a request: not followed, or at most maxRedirects, and
// a redirect that leaves the origin of the request's url (scheme, host or port) carries none of
// the configured headers, or is refused. Go copies every header of the first request onto each
// redirect, and keeps even Authorization and Cookie for the same host on another port or a
// subdomain: a configured secret would reach a host the config does not name.
func (rq request) checkRedirect(req *http.Request, via []*http.Request) error {
	if !rq.follow {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects (last to %s)", maxRedirects, req.URL.Redacted())
	}
	from := via[0].URL
	if len(rq.configured) == 0 || sameOrigin(req.URL, from) {
		return nil
	}
	if rq.refuse {
		return fmt.Errorf("refused: the redirect leaves %s, and the check sends configured headers (cross-origin-redirects: refuse)", origin(from))
	}
	for _, k := range rq.configured {
		req.Header.Del(k)
	}
	return nil
}

// origin is a URL's scheme://host:port, the port always written.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func sameOrigin(a, b *url.URL) bool { return origin(a) == origin(b) }

// fetch sends one request and reads at most maxBody bytes of the answer: a service that answers
// with a gigabyte costs a megabyte of memory and the time to read it, not the gigabyte.
func (r *runner) fetch(ctx context.Context, rq request) (*fetched, error) {
	ip := rq.ip
	if ip == "" {
		ip = "any"
	}
	client := &http.Client{Transport: r.transports[ip], CheckRedirect: rq.checkRedirect}
	req, err := http.NewRequestWithContext(ctx, rq.method, rq.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header = rq.header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "molecule-ci-probe")
	}
	// The time to first byte is written by the transport's read loop, which an error (headers
	// over the bound) can leave without a happens-before edge to this goroutine: an atomic.
	var ttfb atomic.Int64
	start := time.Now()
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotFirstResponseByte: func() { ttfb.CompareAndSwap(0, int64(max(time.Since(start), 1))) },
	}))
	resp, err := client.Do(req)
	f := &fetched{ttfb: time.Duration(ttfb.Load())}
	if err != nil {
		f.latency = time.Since(start)
		return f, err
	}
	defer resp.Body.Close()
	f.code, f.header, f.tls = resp.StatusCode, resp.Header, resp.TLS
	limit := r.opts.Config.MaxBody
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, limit+1))
	f.bytes = n
	if n > limit {
		f.truncated = true
		f.bytes = limit
		buf.Truncate(int(limit))
		err = nil // the rest is not read on purpose; closing the body drops the connection
	}
	f.body = buf.Bytes()
	f.latency = time.Since(start)
	f.ttfb = time.Duration(ttfb.Load())
	if err != nil {
		return f, fmt.Errorf("reading the body: %w", err)
	}
	return f, nil
}

// errorText is err verbatim (Go's text names the operation, the host and the cause), marked
// when it was this check's timeout that ended it.
func (r *runner) errorText(err error) string {
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg += " (timeout " + r.opts.Config.Timeout.String() + ")"
	}
	return msg
}

func (r *runner) httpCheck(ctx context.Context, ch config.ProbeCheck) CheckResult {
	res := CheckResult{Kind: ch.Kind, Target: ch.URL}
	method := ch.Method
	if method == "" {
		method = http.MethodGet
	}
	rq, missing := r.webRequest(ch, method)
	if missing != "" {
		res.Status, res.Error = Unknown, missing
		return res
	}
	follow := rq.follow
	f, err := r.fetch(ctx, rq)
	measure(&res, f)
	if err != nil {
		res.Status, res.Error = Down, r.errorText(err)
		return res
	}
	if !expected(ch.ExpectStatus, follow, f.code) {
		res.Status = Down
		res.Error = fmt.Sprintf("status %d %s, want %s", f.code, http.StatusText(f.code), expectText(ch.ExpectStatus, follow))
		return res
	}
	if msg := bodyProblem(ch, f); msg != "" {
		res.Status, res.Error = Down, msg
		return res
	}
	res.Status = Up
	var notes []string
	if f.truncated {
		notes = append(notes, fmt.Sprintf("body larger than %d bytes: only the first %d were read", r.opts.Config.MaxBody, r.opts.Config.MaxBody))
	}
	if days, ok := tlsDaysLeft(f.tls, time.Now()); ok {
		min := 14
		if ch.TLSMinDays != nil {
			min = *ch.TLSMinDays
		}
		notes = append(notes, fmt.Sprintf("certificate expires in %d days", days))
		if min > 0 && days < min {
			res.Status = Degraded
			res.Error = fmt.Sprintf("TLS certificate expires in %d days (%s), less than %d", days, f.tls.PeerCertificates[0].NotAfter.UTC().Format(time.DateOnly), min)
		}
	}
	if ch.MaxResponseTime > 0 && f.latency > ch.MaxResponseTime {
		res.Status = Degraded
		msg := fmt.Sprintf("slow: answered in %s, more than %s", ms(f.latency), ms(ch.MaxResponseTime))
		res.Error = joinNonEmpty(res.Error, msg)
	}
	res.Note = strings.Join(notes, "; ")
	return res
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func measure(res *CheckResult, f *fetched) {
	if f == nil {
		return
	}
	res.StatusCode, res.Latency, res.TTFB, res.Bytes = f.code, f.latency, f.ttfb, f.bytes
}

func ms(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

func tlsDaysLeft(cs *tls.ConnectionState, now time.Time) (int, bool) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return 0, false
	}
	return int(cs.PeerCertificates[0].NotAfter.Sub(now).Hours() / 24), true
}

func expected(set []int, follow bool, code int) bool {
	if len(set) > 0 {
		return slices.Contains(set, code)
	}
	if follow {
		return code >= 200 && code < 300
	}
	return code >= 200 && code < 400
}

func expectText(set []int, follow bool) string {
	if len(set) == 0 {
		if follow {
			return "2xx"
		}
		return "2xx or 3xx"
	}
	parts := make([]string, len(set))
	for i, c := range set {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " or ")
}

func bodyProblem(ch config.ProbeCheck, f *fetched) string {
	if ch.BodyContains != "" && !bytes.Contains(f.body, []byte(ch.BodyContains)) {
		return fmt.Sprintf("body does not contain %q", ch.BodyContains)
	}
	if ch.BodyRegexp != "" {
		re, err := regexp.Compile(ch.BodyRegexp)
		if err != nil {
			return err.Error()
		}
		if !re.Match(f.body) {
			return fmt.Sprintf("body does not match /%s/", ch.BodyRegexp)
		}
	}
	if len(ch.JSON) == 0 {
		return ""
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(f.body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		if f.truncated {
			return fmt.Sprintf("malformed JSON: %v (the body was cut at %d bytes)", err, f.bytes)
		}
		return "malformed JSON: " + err.Error()
	}
	for _, c := range ch.JSON {
		got, ok := lookup(doc, c.Path)
		if !ok {
			return fmt.Sprintf("JSON field %s is missing", c.Path)
		}
		if c.Equals != nil {
			want, _ := json.Marshal(c.Equals)
			have, _ := json.Marshal(got)
			if !jsonEqual(want, have) {
				return fmt.Sprintf("JSON field %s is %s, want %s", c.Path, truncateText(string(have), 80), want)
			}
		}
	}
	return ""
}

// jsonEqual compares two JSON texts as values (so 200 equals 200.0).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// lookup follows a dot path through decoded JSON; numeric parts index arrays.
func lookup(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
