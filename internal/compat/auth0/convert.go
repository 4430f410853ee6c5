package auth0

import "github.com/switchboardhq/switchboard"

func organizationOut(o *switchboard.Organization) organizationJSON {
	return organizationJSON{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName}
}

func connectionOut(v *switchboard.OrganizationConnectionView) connectionJSON {
	return connectionJSON{
		ConnectionID:               v.ConnectionID,
		OrganizationConnectionName: v.Name,
		AssignMembershipOnLogin:    v.AssignMembershipOnLogin,
		ShowAsButton:               v.ShowAsButton,
		IsSignupEnabled:            v.IsSignupEnabled,
		OrganizationAccessLevel:    v.AccessLevel,
		IsEnabled:                  v.IsEnabled,
		Connection:                 connectionRef{Name: v.ConnectionName, Strategy: v.ConnectorKey},
	}
}

func connectionInput(in connectionIn) switchboard.OrganizationConnectionInput {
	return switchboard.OrganizationConnectionInput{
		ConnectionID:            in.ConnectionID,
		Name:                    in.OrganizationConnectionName,
		AssignMembershipOnLogin: in.AssignMembershipOnLogin,
		ShowAsButton:            in.ShowAsButton,
		IsSignupEnabled:         in.IsSignupEnabled,
		AccessLevel:             in.OrganizationAccessLevel,
		IsEnabled:               in.IsEnabled,
	}
}
