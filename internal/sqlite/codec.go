package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	sb "github.com/switchboardhq/switchboard"
)

// Times are stored as microseconds since the Unix epoch: switchboard.Now keeps microseconds,
// and integers sort and compare without parsing.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores an optional time; nil is NULL.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullString stores "" as NULL, for columns where NULL means "not set" to a unique index.
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// toJSON encodes a value for a TEXT column.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode %T: %w", v, err)
	}
	return string(b), nil
}

// rawText stores a JSON document as given; an empty one is NULL.
func rawText(m json.RawMessage) sql.NullString {
	return sql.NullString{String: string(m), Valid: len(m) > 0}
}

// jsonCol scans a TEXT JSON column into dst; NULL leaves dst as it is.
type jsonCol struct{ dst any }

func (j jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlite: JSON column holds %T", src)
	}
	if emptyJSON(b, j.dst) {
		return nil
	}
	if err := json.Unmarshal(b, j.dst); err != nil {
		return fmt.Errorf("sqlite: decode %T: %w", j.dst, err)
	}
	return nil
}

// emptyJSON decodes the empty documents most rows hold ("null", "[]", "{}") into the common
// destination types without encoding/json, with the same result json.Unmarshal gives: a
// list of a hundred connections has six JSON columns per row, most of them empty, and
// decoding them was a third of the list's time. It reports whether it handled b.
func emptyJSON(b []byte, dst any) bool {
	switch string(b) {
	case "null":
		switch d := dst.(type) {
		case *[]string:
			*d = nil
		case *map[string]any:
			*d = nil
		case *map[string]string:
			*d = nil
		case *[]sb.Variable:
			*d = nil
		default:
			return false
		}
	case "[]":
		switch d := dst.(type) {
		case *[]string:
			*d = []string{}
		case *[]sb.Variable:
			*d = []sb.Variable{}
		default:
			return false
		}
	case `{"action":[],"trigger":[]}`:
		d, ok := dst.(*sb.CredentialRefs)
		if !ok {
			return false
		}
		d.Action, d.Trigger = []string{}, []string{}
	case "{}":
		switch d := dst.(type) {
		case *map[string]any:
			if *d == nil {
				*d = map[string]any{}
			}
		case *map[string]string:
			if *d == nil {
				*d = map[string]string{}
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// rawCol scans a TEXT JSON column into a json.RawMessage; NULL or "" is nil.
type rawCol struct{ dst *json.RawMessage }

func (r rawCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r.dst = nil
	case string:
		if v != "" {
			*r.dst = json.RawMessage(v)
		}
	case []byte:
		if len(v) > 0 {
			*r.dst = json.RawMessage(append([]byte(nil), v...))
		}
	default:
		return fmt.Errorf("sqlite: JSON column holds %T", src)
	}
	return nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }
