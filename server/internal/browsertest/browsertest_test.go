package browsertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestChromiumPathHonoursOverride(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "my-chromium")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		override string
		wantPath string
		wantOK   bool
	}{
		{"existing override", fake, fake, true},
		{"missing override is not replaced by a PATH search", filepath.Join(t.TempDir(), "absent"), filepath.Join(filepath.Dir(fake), "absent"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VITRINE_CHROMIUM", tc.override)
			path, ok := ChromiumPath()
			if ok != tc.wantOK || (ok && path != tc.wantPath) {
				t.Errorf("ChromiumPath() = %q, %v; want %q, %v", path, ok, tc.wantPath, tc.wantOK)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"true", "", true},
		{"", "1", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv("VITRINE_REQUIRE_BROWSER", tc.require)
		if got := Required(); got != tc.want {
			t.Errorf("Required() with CI=%q VITRINE_REQUIRE_BROWSER=%q = %v, want %v", tc.ci, tc.require, got, tc.want)
		}
	}
}

// TestBrowserStartsWithWebGL2 starts the real browser and checks that
// SwiftShader gives the page a WebGL2 context, which the viewer needs.
func TestBrowserStartsWithWebGL2(t *testing.T) {
	b := New(t)
	if err := b.WaitFor(`!!document.createElement("canvas").getContext("webgl2")`, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("exceptions on a blank page: %q", ex)
	}
}
