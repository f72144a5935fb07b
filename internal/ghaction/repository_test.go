package ghaction

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestRepository(t *testing.T) {
	public := writeEvent(t, `{"action":"opened","repository":{"full_name":"acme/app","private":false}}`)
	private := writeEvent(t, `{"repository":{"private":true}}`)
	silent := writeEvent(t, `{"schedule":"0 0 * * *"}`)
	broken := writeEvent(t, `{"repository": `)
	wrongType := writeEvent(t, `{"repository":{"private":"yes"}}`)
	array := writeEvent(t, `[1]`)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // owner/name private, or the error
	}{
		{"outside Actions", nil, "/ <nil>"},
		{"repository only", map[string]string{"GITHUB_REPOSITORY": "acme/app"}, "acme/app <nil>"},
		{"public", map[string]string{"GITHUB_REPOSITORY": "acme/app", "GITHUB_EVENT_PATH": public}, "acme/app false"},
		{"private", map[string]string{"GITHUB_REPOSITORY": "acme/app", "GITHUB_EVENT_PATH": private}, "acme/app true"},
		{"payload without repository", map[string]string{"GITHUB_EVENT_PATH": silent}, "/ <nil>"},
		{"not owner/name", map[string]string{"GITHUB_REPOSITORY": "acme"}, `error: GITHUB_REPOSITORY="acme" is not owner/name`},
		{"too many slashes", map[string]string{"GITHUB_REPOSITORY": "acme/app/x"}, `error: GITHUB_REPOSITORY="acme/app/x" is not owner/name`},
		{"missing payload", map[string]string{"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "error: GITHUB_EVENT_PATH: open /nonexistent/event.json: no such file or directory"},
		{"broken payload", map[string]string{"GITHUB_EVENT_PATH": broken}, "error: GITHUB_EVENT_PATH: " + broken + ": not a JSON event payload: unexpected end of JSON input"},
		{"private not a boolean", map[string]string{"GITHUB_EVENT_PATH": wrongType}, "/ <nil>"},
		{"not an object", map[string]string{"GITHUB_EVENT_PATH": array}, "error: GITHUB_EVENT_PATH: " + array + ": not a JSON event payload: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(func(k string) string { return tc.env[k] }, nil)
			r, err := e.Repository()
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				p := "<nil>"
				if r.Private != nil {
					p = fmt.Sprint(*r.Private)
				}
				got = r.Owner + "/" + r.Name + " " + p
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func FuzzPayloadPrivate(f *testing.F) {
	f.Add([]byte(`{"repository":{"private":true}}`))
	f.Add([]byte(`{"repository":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := payloadPrivate(data)
		if err != nil && p != nil {
			t.Fatalf("a value with an error: %v", err)
		}
		// Whatever payloadPrivate says must be what a generic decoding of the payload says.
		var m map[string]any
		if err == nil && json.Unmarshal(data, &m) == nil {
			repo, _ := m["repository"].(map[string]any)
			want, has := repo["private"].(bool)
			if has != (p != nil) || has && *p != want {
				t.Fatalf("payloadPrivate(%q) = %v, the payload says %v (present %v)", data, p, want, has)
			}
		}
	})
}
