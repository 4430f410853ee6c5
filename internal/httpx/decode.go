package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard"
)

// DefaultBodyLimit is the request body limit DecodeJSON applies when given none.
const DefaultBodyLimit = 1 << 20

// DecodeJSON decodes the JSON body of r into dst (a pointer), reading at most limit bytes
// (DefaultBodyLimit when limit <= 0). Every failure is an *switchboard.Error:
//
//   - 4150 media.unsupported {Type}: a Content-Type other than application/json or a
//     "+json" type such as application/merge-patch+json (parameters like charset are fine);
//     4150 media.missing when a non-empty body comes without a Content-Type
//   - 4130 body.too_large {Limit}: the body is over the limit
//   - 4000 body.empty: no body, or only whitespace
//   - 4000 body.malformed: not JSON, or more than one JSON value
//   - 4000 body.type: the body is JSON of the wrong kind (an array where an object belongs)
//   - 4000 field.unknown {Field}: a field dst doesn't have, with detail reason "unknown"
//   - 4000 field.type {Field}: a field of the wrong JSON type, named by its dotted path,
//     with detail reason "type"
//   - 4000 field.duplicate {Field}: a key repeated in one object (exactly, or in another
//     case at the top level, which encoding/json would match to the same field), with detail
//     reason "duplicate"
//
// An error a field's own UnmarshalJSON returns is passed through when it is an *Error, else
// reported as a generic 4000.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" && !isJSON(ct) {
		// Reject before reading: the body may be large and is of no use.
		return switchboard.Errorf(switchboard.CodeUnsupportedMedia, "media.unsupported", "Type", clip(ct, 100))
	}
	if r.Body == nil {
		return switchboard.Errorf(switchboard.CodeInvalid, "body.empty")
	}
	// MaxBytesReader, not io.LimitReader: it also tells net/http to close the connection
	// rather than drain an oversized body.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return switchboard.Errorf(switchboard.CodeTooLarge, "body.too_large", "Limit", limit)
		}
		// The client went away or sent a broken chunked body: nothing valid arrived.
		return &switchboard.Error{Code: switchboard.CodeInvalid, Message: "body.malformed", Cause: err}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return switchboard.Errorf(switchboard.CodeInvalid, "body.empty")
	}
	if ct == "" {
		return switchboard.Errorf(switchboard.CodeUnsupportedMedia, "media.missing")
	}
	return decode(body, dst)
}

// decode unmarshals exactly one JSON value from body into dst, rejecting unknown fields and
// repeated keys.
func decode(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, reflect.TypeOf(dst))
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return switchboard.Errorf(switchboard.CodeInvalid, "body.malformed")
	}
	return checkDuplicateKeys(body)
}

// decodeError translates an encoding/json error. encoding/json reports an unknown field only
// in its message text ("json: unknown field \"x\""), so that one case reads the text.
func decodeError(err error, dst reflect.Type) error {
	if e, ok := errors.AsType[*switchboard.Error](err); ok {
		return e
	}
	if _, ok := errors.AsType[*json.InvalidUnmarshalError](err); ok {
		// dst is not a pointer: a bug in the handler, not the client's fault.
		return switchboard.Internal(err)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return &switchboard.Error{Code: switchboard.CodeInvalid, Message: "body.type", Cause: err}
		}
		e := switchboard.Invalid(fieldPath(dst, te.Field), "type")
		e.Cause = err
		return e
	}
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		e := switchboard.Invalid(fieldName(name), "unknown")
		e.Cause = err
		return e
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &switchboard.Error{Code: switchboard.CodeInvalid, Message: "body.malformed", Cause: err}
	}
	// An UnmarshalJSON or UnmarshalText of dst's types rejected a value (a bad time, say).
	return &switchboard.Error{Code: switchboard.CodeInvalid, Message: "code.4000", Cause: err}
}

// isJSON reports whether a Content-Type names JSON: application/json or a structured "+json"
// type (RFC 6839), such as application/merge-patch+json for PATCH.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// fieldPath is the dotted path of the struct fields in an UnmarshalTypeError's Field, by their
// JSON names, as Go 1.26 reports it: from Go 1.27 the path also holds array indexes, map keys
// and the client's spelling of a case-folded key ("tags.1", "labels.<key>", "CONFIG.Port"),
// client text that names no field of the API. Indexes are dropped and the path ends at a map,
// so the error names the same field whichever toolchain built us.
func fieldPath(t reflect.Type, path string) string {
	var out []string
	for seg := range strings.SplitSeq(path, ".") {
		t = deref(t)
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			t = deref(t.Elem())
			if _, err := strconv.Atoi(seg); err == nil {
				continue // an index (Go 1.27); Go 1.26 goes on with the element's field
			}
		}
		if t == nil || t.Kind() != reflect.Struct {
			break // a map (its keys are the client's), an interface, or a type we can't follow
		}
		var name string
		t, name = structField(t, seg)
		out = append(out, name)
	}
	if len(out) == 0 {
		return clip(path, 100)
	}
	return strings.Join(out, ".")
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// structField returns the type and JSON name of t's field that encoding/json decodes the key
// into (exact name first, then case-insensitively); a nil type and the key when none does.
func structField(t reflect.Type, key string) (reflect.Type, string) {
	var foldType reflect.Type
	foldName := key
	for f := range t.Fields() {
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
			name = tag
		}
		if name == key {
			return f.Type, name
		}
		if foldType == nil && strings.EqualFold(name, key) {
			foldType, foldName = f.Type, name
		}
	}
	return foldType, foldName
}

// fieldName is a client's JSON key as the field of an error: clipped, and the empty key (or
// one of control characters only) spelled "" so the field and its message still name it.
func fieldName(key string) string {
	if f := clip(key, 100); f != "" {
		return f
	}
	return `""`
}

// clip bounds client text echoed in a message: at most n bytes, valid UTF-8, no control
// characters, so a hostile header can't bloat or garble the response.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
