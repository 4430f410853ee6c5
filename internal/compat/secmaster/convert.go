package secmaster

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard"
)

// Component and version ids. SecMaster clients name plugins and plugin versions by UUID;
// Switchboard names connectors by key (built-in) or "ctr_..." id. Each connector gets the
// UUIDv5 (namespace URL) of "switchboard:connector:<connector id>", each version the UUIDv5
// of "switchboard:connector:<connector id>:version:<version>", except the ids in the aliases
// below, which are the vendor documentation's own example ids (the Kafka plugin of the seed
// page), so that its example request works unchanged. A client may also send the connector
// key (or "ctr_..." id) as component_id and the version string as component_version_id.
var (
	componentAliases = map[string]string{ // connector id -> component_id
		"kafka": "ad93ecc6-1723-4c2c-9976-9eb0182c2d18",
	}
	versionAliases = map[string]string{ // connector id + "@" + version -> component_version_id
		"kafka@1.0.0": "33fd1b37-1f39-4230-86c6-2d119e9f4fac",
	}
)

// namespaceURL is RFC 9562's URL namespace for name-based UUIDs.
var namespaceURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuidV5 returns the name-based (SHA-1) UUID of name in the URL namespace.
func uuidV5(name string) string {
	h := sha1.New()
	h.Write(namespaceURL[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// componentID is the component_id of a connector.
func componentID(connectorID string) string {
	if id, ok := componentAliases[connectorID]; ok {
		return id
	}
	return uuidV5("switchboard:connector:" + connectorID)
}

// versionID is the component_version_id of a connector version.
func versionID(connectorID, version string) string {
	if id, ok := versionAliases[connectorID+"@"+version]; ok {
		return id
	}
	return uuidV5("switchboard:connector:" + connectorID + ":version:" + version)
}

// resolveVersion returns the version of def that component_version_id names (its UUID or
// its version string).
func resolveVersion(def *switchboard.ConnectorDefinition, id string) (string, error) {
	for _, v := range def.Versions {
		if id == v.Version || id == versionID(def.Connector.ID, v.Version) {
			return v.Version, nil
		}
	}
	return "", switchboard.Invalid("component_version_id", "enum")
}

// parseConfig decodes the config string: a JSON object. Its fields are validated by the
// service against the version's schema.
func parseConfig(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, switchboard.Invalid("config", "required")
	}
	// Decoded as the native API decodes config, numbers as float64, so both surfaces hand the
	// service the same values.
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, switchboard.Invalid("config", "type")
	}
	return m, nil
}

// configOut is the config string of a response: the plain fields, and every secret field as
// "******".
func configOut(c *switchboard.Connection) string {
	m := make(map[string]any, len(c.Config)+len(c.Secrets))
	for k, v := range c.Config {
		m[k] = v
	}
	for k := range c.Secrets {
		m[k] = secretMask
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return "{}"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// statusOut is SecMaster's status, SUCCESS or FAILED: FAILED when the connection's last health
// check failed, SUCCESS otherwise (a connection not checked yet included, as a saved SecMaster
// connection shows SUCCESS). The core's full status is on the native API.
func statusOut(c *switchboard.Connection) string {
	if c.Status == switchboard.StatusFailed {
		return "FAILED"
	}
	if c.Status != switchboard.StatusActive && c.Health.LastUnhealthyAt != nil &&
		(c.Health.LastHealthyAt == nil || c.Health.LastUnhealthyAt.After(*c.Health.LastHealthyAt)) {
		return "FAILED"
	}
	return "SUCCESS"
}

// timeLayout is how times are written: RFC 3339 in UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func timeOut(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// timeLayouts are the time filter formats accepted: RFC 3339 and Huawei's
// "2021-01-30T23:00:00Z+0800" style.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z-0700", "2006-01-02T15:04:05.000Z-0700", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.000Z0700"}

func parseTime(field, s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, switchboard.Invalid(field, "format")
}

// assetOut renders a connection in the workspace ws; def is its connector.
func assetOut(c *switchboard.Connection, ws *switchboard.Workspace, def *switchboard.ConnectorDefinition) assetInfo {
	name := c.ConnectorID
	if def != nil {
		name = def.Connector.Name
	}
	return assetInfo{
		ID: c.ID, ProjectID: ws.TenantID, WorkspaceID: c.WorkspaceID, Name: c.Name,
		ComponentID: componentID(c.ConnectorID), ComponentName: name,
		ComponentVersionID: versionID(c.ConnectorID, c.ConnectorVersion),
		// Every Switchboard connection is something a workflow action connects to.
		Type:   "action_target",
		Status: statusOut(c), Config: configOut(c), Description: c.Description, Enabled: c.Enabled,
		CreateTime: timeOut(c.CreatedAt), CreatorID: c.CreatedBy, CreatorName: c.CreatedBy,
		UpdateTime: timeOut(c.UpdatedAt), ModifierID: c.UpdatedBy, ModifierName: c.UpdatedBy,
		CanBeDeleted: c.UsageCount == 0, Unreadable: c.Unreadable,
	}
}

// componentOut renders a connector as a plugin.
func componentOut(def *switchboard.ConnectorDefinition) componentInfo {
	c := def.Connector
	out := componentInfo{
		ID: componentID(c.ID), Name: c.Name, Description: c.Description,
		Label: strings.Join(c.Categories, ","), CreateTime: timeOut(c.CreatedAt), UpdateTime: timeOut(c.CreatedAt),
		CreatorID: c.CreatedBy, CreatorName: c.CreatedBy, ModifierID: c.CreatedBy, ModifierName: c.CreatedBy,
		OperationHistory: []any{}, Versions: []componentVersionInfo{}, ComponentType: "custom",
	}
	if c.BuiltIn() {
		out.ComponentType = "system"
	}
	for _, v := range def.Versions {
		out.Versions = append(out.Versions, componentVersionInfo{
			ID: versionID(c.ID, v.Version), VersionNum: v.Version, Status: "ENABLED",
			PackageName: c.Key, SubVersionID: v.Version, ConnectionConfig: compact(v.Schema),
		})
		if t := timeOut(v.CreatedAt); t > out.UpdateTime {
			out.UpdateTime = t
		}
	}
	return out
}

// compact returns raw JSON without insignificant whitespace.
func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
