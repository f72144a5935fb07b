package report

import (
	"encoding/json"
	"fmt"
)

// Badge is a shields.io endpoint badge (https://shields.io/badges/endpoint-badge): a label, a
// message and a colour, which a README shows through img.shields.io/endpoint?url=....
type Badge struct {
	Label   string
	Message string
	Color   string
}

// JSON is the endpoint's document, one line.
func (b Badge) JSON() ([]byte, error) {
	doc := struct {
		SchemaVersion int    `json:"schemaVersion"`
		Label         string `json:"label"`
		Message       string `json:"message"`
		Color         string `json:"color"`
	}{1, b.Label, b.Message, b.Color}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode badge: %w", err)
	}
	return append(data, '\n'), nil
}
