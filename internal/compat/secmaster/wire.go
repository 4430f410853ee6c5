package secmaster

// successCode is the code of every successful SecMaster answer.
const successCode = "00000000"

// secretMask is how SecMaster shows a secret inside the config string, whatever its length.
const secretMask = "******"

// assetRequest is the body of a create and of a full-replacement update (the vendor's
// CreateConnection/UpdateConnection body). config is a JSON object encoded as a string.
type assetRequest struct {
	Name               string  `json:"name"`
	Description        *string `json:"description"`
	ComponentID        string  `json:"component_id"`
	ComponentVersionID string  `json:"component_version_id"`
	Config             string  `json:"config"`
}

// assetInfo is the vendor's AssetInfoResponseBody: every field is always present.
type assetInfo struct {
	ID                   string `json:"id"`
	ProjectID            string `json:"project_id"`
	WorkspaceID          string `json:"workspace_id"`
	Name                 string `json:"name"`
	ComponentID          string `json:"component_id"`
	ComponentName        string `json:"component_name"`
	ComponentVersionID   string `json:"component_version_id"`
	Type                 string `json:"type"`
	Status               string `json:"status"`
	Config               string `json:"config"`
	Description          string `json:"description"`
	Enabled              bool   `json:"enabled"`
	CreateTime           string `json:"create_time"`
	CreatorID            string `json:"creator_id"`
	CreatorName          string `json:"creator_name"`
	UpdateTime           string `json:"update_time"`
	ModifierID           string `json:"modifier_id"`
	ModifierName         string `json:"modifier_name"`
	DefenseType          string `json:"defense_type"`
	TargetProjectID      string `json:"target_project_id"`
	TargetProjectName    string `json:"target_project_name"`
	TargetEnterpriseID   string `json:"target_enterprise_id"`
	TargetEnterpriseName string `json:"target_enterprise_name"`
	RegionID             string `json:"region_id"`
	RegionName           string `json:"region_name"`
	CanBeDeleted         bool   `json:"can_be_deleted"`
	// Unreadable is set (and config lacks the secret fields) when the stored secrets do not
	// decrypt. Absent otherwise.
	Unreadable bool `json:"unreadable,omitempty"`
}

// assetResponse answers create, show and update.
type assetResponse struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Asset   assetInfo `json:"asset"`
}

// assetListResponse answers a list: total counts every match, asset holds the page.
type assetListResponse struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Total   int         `json:"total"`
	Asset   []assetInfo `json:"asset"`
}

// plainResponse answers a delete.
type plainResponse struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// componentVersionInfo is the vendor's ComponentVersionInfo; connection_config is the JSON
// Schema (draft 2020-12) that a connection's config must satisfy, as a string.
type componentVersionInfo struct {
	ID                    string `json:"id"`
	VersionNum            string `json:"version_num"`
	VersionDesc           string `json:"version_desc"`
	Status                string `json:"status"`
	PackageName           string `json:"package_name"`
	ComponentAttachmentID string `json:"component_attachment_id"`
	SubVersionID          string `json:"sub_version_id"`
	ConnectionConfig      string `json:"connection_config"`
}

// componentInfo is the vendor's ComponentInfo (a plugin).
type componentInfo struct {
	ID                 string                 `json:"id"`
	Name               string                 `json:"name"`
	DevLanguage        string                 `json:"dev_language"`
	DevLanguageVersion string                 `json:"dev_language_version"`
	AllianceID         string                 `json:"alliance_id"`
	AllianceName       string                 `json:"alliance_name"`
	Description        string                 `json:"description"`
	Logo               string                 `json:"logo"`
	Label              string                 `json:"label"`
	CreateTime         string                 `json:"create_time"`
	UpdateTime         string                 `json:"update_time"`
	CreatorID          string                 `json:"creator_id"`
	CreatorName        string                 `json:"creator_name"`
	ModifierID         string                 `json:"modifier_id"`
	ModifierName       string                 `json:"modifier_name"`
	OperationHistory   []any                  `json:"operation_history"`
	Versions           []componentVersionInfo `json:"versions"`
	ComponentType      string                 `json:"component_type"`
}

// componentListResponse answers the component list (the vendor's ListComponents envelope).
type componentListResponse struct {
	Code      string          `json:"code"`
	Total     int             `json:"total"`
	Size      int             `json:"size"`
	Page      int             `json:"page"`
	Message   string          `json:"message"`
	Success   bool            `json:"success"`
	RequestID string          `json:"request_id"`
	Data      []componentInfo `json:"data"`
}

// componentResponse answers one component.
type componentResponse struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	Success   bool          `json:"success"`
	RequestID string        `json:"request_id"`
	Data      componentInfo `json:"data"`
}
