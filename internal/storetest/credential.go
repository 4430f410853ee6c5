package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sb "github.com/switchboardhq/switchboard"
)

func newCredential(ws *sb.Workspace, name string) *sb.Credential {
	now := sb.Now()
	return &sb.Credential{
		ID:          sb.NewID(sb.PrefixCredential),
		WorkspaceID: ws.ID,
		Name:        name,
		Type:        sb.CredentialAPIKey,
		Data:        map[string]sb.Secret{"api_key": sb.NewSecret("sk_live_0123456789")},
		Sealed:      []byte("sealed\x00" + name),
		CreatedAt:   now,
		UpdatedAt:   now,
		CreatedBy:   "user_1",
		UpdatedBy:   "user_1",
	}
}

// stored returns what a store gives back for c: everything but the clear Data.
func storedCredential(c *sb.Credential) *sb.Credential {
	s := *c
	s.Data = nil
	return &s
}

func testCredential(t *testing.T, newStore func(t *testing.T) sb.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		plain := newCredential(f.a, "plain")
		ext := newCredential(f.a, "vault")
		ext.Type, ext.Sealed = sb.CredentialCustom, nil
		ext.ExternalRef = &sb.ExternalRef{Provider: "hashicorp_vault", Ref: "secret/data/kafka"}
		var evs []*sb.AuditEvent
		for _, c := range []*sb.Credential{plain, ext} {
			c.Revision = 7 // ignored: a create always starts at 1
			ev := event(f.a, "credential.create", "credential", c.ID)
			evs = append(evs, ev)
			if err := f.s.CreateCredential(f.ctx, c, ev); err != nil {
				t.Fatal(err)
			}
			if c.Revision != 1 {
				t.Errorf("Revision after create = %d, want 1", c.Revision)
			}
			got, err := f.s.GetCredential(f.ctx, f.a.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(storedCredential(c), got, opts()); diff != "" {
				t.Errorf("GetCredential (-want +got):\n%s", diff)
			}
			_, err = f.s.GetCredential(f.ctx, f.b.ID, c.ID)
			wantCode(t, err, sb.CodeNotFound)
		}
		_, err := f.s.GetCredential(f.ctx, f.a.ID, sb.NewID(sb.PrefixCredential))
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a, evs...)
	})

	t.Run("NameTaken", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := newCredential(f.a, "prod")
		if err := f.s.CreateCredential(f.ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		dup := newCredential(f.a, "prod")
		wantConflict(t, f.s.CreateCredential(f.ctx, dup, event(f.a, "credential.create", "credential", dup.ID)), "credential.name_taken", "Name", "prod")
		_, err := f.s.GetCredential(f.ctx, f.a.ID, dup.ID)
		wantCode(t, err, sb.CodeNotFound)
		f.wantAudit(t, f.a)
		if err := f.s.CreateCredential(f.ctx, newCredential(f.b, "prod"), nil); err != nil {
			t.Fatalf("same name in another workspace: %v", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := newCredential(f.a, "prod")
		if err := f.s.CreateCredential(f.ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		taken := newCredential(f.a, "taken")
		if err := f.s.CreateCredential(f.ctx, taken, nil); err != nil {
			t.Fatal(err)
		}
		before := storedCredential(c)

		upd := *c
		upd.Name = "production"
		upd.Type = sb.CredentialOAuth2
		upd.Sealed = []byte("resealed")
		upd.ExternalRef = &sb.ExternalRef{Provider: "aws_secrets_manager", Ref: "arn:aws:secretsmanager:eu-west-1:1:secret:x"}
		upd.UpdatedAt = c.UpdatedAt.Add(time.Minute)
		upd.UpdatedBy = "user_2"
		bad := event(f.a, "credential.update", "credential", c.ID)

		stale := upd
		stale.Revision = 5
		wantCode(t, f.s.UpdateCredential(f.ctx, &stale, bad), sb.CodePreconditionFailed)
		if stale.Revision != 5 {
			t.Errorf("Revision after a failed update = %d, want 5 unchanged", stale.Revision)
		}
		other := upd
		other.WorkspaceID = f.b.ID
		wantCode(t, f.s.UpdateCredential(f.ctx, &other, bad), sb.CodeNotFound)
		missing := upd
		missing.ID = sb.NewID(sb.PrefixCredential)
		wantCode(t, f.s.UpdateCredential(f.ctx, &missing, bad), sb.CodeNotFound)
		clash := upd
		clash.Name = "taken"
		wantConflict(t, f.s.UpdateCredential(f.ctx, &clash, bad), "credential.name_taken", "Name", "taken")
		got, err := f.s.GetCredential(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, got, opts()); diff != "" {
			t.Errorf("credential changed by failed updates (-want +got):\n%s", diff)
		}
		f.wantAudit(t, f.a)

		ev := event(f.a, "credential.update", "credential", c.ID)
		if err := f.s.UpdateCredential(f.ctx, &upd, ev); err != nil {
			t.Fatal(err)
		}
		if upd.Revision != 2 {
			t.Errorf("Revision after update = %d, want 2", upd.Revision)
		}
		got, err = f.s.GetCredential(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(storedCredential(&upd), got, opts()); diff != "" {
			t.Errorf("updated credential (-want +got):\n%s", diff)
		}
		// Removing the external reference must stick too.
		upd.ExternalRef = nil
		if err := f.s.UpdateCredential(f.ctx, &upd, nil); err != nil {
			t.Fatal(err)
		}
		got, err = f.s.GetCredential(f.ctx, f.a.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ExternalRef != nil || got.Revision != 3 {
			t.Errorf("after clearing the reference: ExternalRef %v, Revision %d", got.ExternalRef, got.Revision)
		}
		f.wantAudit(t, f.a, ev)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		c := newCredential(f.a, "prod")
		if err := f.s.CreateCredential(f.ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		bad := event(f.a, "credential.delete", "credential", c.ID)
		wantCode(t, f.s.DeleteCredential(f.ctx, f.b.ID, c.ID, bad), sb.CodeNotFound)
		wantCode(t, f.s.DeleteCredential(f.ctx, f.a.ID, sb.NewID(sb.PrefixCredential), bad), sb.CodeNotFound)
		f.wantAudit(t, f.a)
		ev := event(f.a, "credential.delete", "credential", c.ID)
		if err := f.s.DeleteCredential(f.ctx, f.a.ID, c.ID, ev); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.GetCredential(f.ctx, f.a.ID, c.ID)
		wantCode(t, err, sb.CodeNotFound)
		wantCode(t, f.s.DeleteCredential(f.ctx, f.a.ID, c.ID, bad), sb.CodeNotFound)
		f.wantAudit(t, f.a, ev)
		// The name is free again.
		if err := f.s.CreateCredential(f.ctx, newCredential(f.a, "prod"), nil); err != nil {
			t.Fatalf("reusing a deleted credential's name: %v", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		var want []string
		for i := range 15 {
			c := newCredential(f.a, "c"+string(rune('a'+i)))
			if err := f.s.CreateCredential(f.ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID)
			if err := f.s.CreateCredential(f.ctx, newCredential(f.b, c.Name), nil); err != nil {
				t.Fatal(err)
			}
		}
		got := walk(t, 4, func(p sb.Page) ([]*sb.Credential, error) {
			return f.s.ListCredentials(f.ctx, f.a.ID, p)
		}, func(c *sb.Credential) string { return c.ID })
		if diff := cmp.Diff(sorted(want), got); diff != "" {
			t.Errorf("ListCredentials (-want +got):\n%s", diff)
		}
		list, err := f.s.ListCredentials(f.ctx, f.a.ID, sb.Page{Limit: 1})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListCredentials limit 1 = %d items, %v", len(list), err)
		}
		one, err := f.s.GetCredential(f.ctx, f.a.ID, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(one, list[0], opts()); diff != "" {
			t.Errorf("listed credential differs from Get (-get +list):\n%s", diff)
		}
	})

	t.Run("CountUses", func(t *testing.T) {
		t.Parallel()
		f := setup(t, newStore)
		used, unused := newCredential(f.a, "used"), newCredential(f.a, "unused")
		for _, c := range []*sb.Credential{used, unused} {
			if err := f.s.CreateCredential(f.ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		count := func(id string, want int) {
			t.Helper()
			n, err := f.s.CountCredentialUses(f.ctx, f.a.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("CountCredentialUses(%s) = %d, want %d", id, n, want)
			}
		}
		other := newCredential(f.a, "other").ID
		action := newConnection(f.a, "kafka", "action")
		action.Credentials = sb.CredentialRefs{Action: []string{used.ID, other}}
		trigger := newConnection(f.a, "kafka", "trigger")
		trigger.Credentials = sb.CredentialRefs{Trigger: []string{other, used.ID}}
		both := newConnection(f.a, "kafka", "both")
		both.Credentials = sb.CredentialRefs{Action: []string{used.ID}, Trigger: []string{used.ID}}
		neither := newConnection(f.a, "kafka", "neither")
		neither.Credentials = sb.CredentialRefs{Action: []string{other}}
		// A connection of workspace B naming the id is not a use in workspace A.
		inB := newConnection(f.b, "kafka", "b")
		inB.Credentials = sb.CredentialRefs{Action: []string{used.ID}}
		for _, c := range []*sb.Connection{action, trigger, both, neither, inB} {
			if err := f.s.CreateConnection(f.ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		count(used.ID, 3) // a connection naming it in both slots counts once
		count(unused.ID, 0)
		count(other, 3)

		action.Credentials = sb.CredentialRefs{Action: []string{unused.ID}}
		if err := f.s.UpdateConnection(f.ctx, action, nil); err != nil {
			t.Fatal(err)
		}
		count(used.ID, 2)
		count(unused.ID, 1)
		count(other, 2)
		if err := f.s.DeleteConnection(f.ctx, f.a.ID, both.ID, nil); err != nil {
			t.Fatal(err)
		}
		count(used.ID, 1)
	})
}
