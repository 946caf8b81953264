package leakscan

import (
	"bytes"
	"encoding/json"
	"io"
	"path"
	"slices"
	"strings"
)

// Container images (issue 16, item 5): a `docker save` tarball (legacy:
// <id>/layer.tar, <config hex>.json and manifest.json; Docker 25 and
// later: an OCI layout inside the tar) or an OCI image layout folder
// (oci-layout, index.json, blobs/sha256/<digest>). Layers are archives
// like any other (tar, tar.gz, tar.zst) and are read member by member;
// each finding names its layer (Finding.Layer: the digest's first 12 hex
// digits, "sha256:…", or the legacy layer id) and its path in the layer
// (Finding.Member). The image config's ENV, labels, command and build
// history (`docker history` shows every ENV ever set, even one a later
// layer overwrote) are read too, with Layer "config".

// isHex64 reports whether s is 64 lower-case hex digits.
func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < 64; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// blobLayer is the layer name of a blob file of an OCI layout
// (".../blobs/sha256/<digest>"), or "".
func blobLayer(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	d, f := path.Split(p)
	if isHex64(f) && strings.HasSuffix(d, "blobs/sha256/") {
		return "sha256:" + f[:12]
	}
	return ""
}

// memberLayer is the layer name of a tar member that is an image layer
// ("<id>/layer.tar" in a legacy docker save, "blobs/sha256/<digest>" in
// an OCI layout), or "".
func memberLayer(name string) string {
	if l := blobLayer(name); l != "" {
		return l
	}
	if d, f := path.Split(name); f == "layer.tar" && isHex64(strings.TrimSuffix(d, "/")) {
		return d[:12]
	}
	return ""
}

// isImageConfigName reports whether a tar member is the image config of a
// legacy docker save ("<64 hex>.json").
func isImageConfigName(name string) bool {
	return strings.HasSuffix(name, ".json") && isHex64(strings.TrimSuffix(name, ".json"))
}

type imageRunConfig struct {
	Env        []string          `json:"Env"`
	Cmd        []string          `json:"Cmd"`
	Entrypoint []string          `json:"Entrypoint"`
	Labels     map[string]string `json:"Labels"`
}

type imageConfigJSON struct {
	Config          *imageRunConfig `json:"config"`
	ContainerConfig *imageRunConfig `json:"container_config"`
	History         []struct {
		CreatedBy string `json:"created_by"`
	} `json:"history"`
	RootFS json.RawMessage `json:"rootfs"`
}

// isConfig tells an image config from the other JSON of an image (a
// manifest also has a "config", naming the config's digest).
func (c *imageConfigJSON) isConfig() bool {
	if len(c.RootFS) > 0 {
		return true
	}
	r := c.Config
	return r != nil && len(r.Env)+len(r.Cmd)+len(r.Entrypoint)+len(r.Labels) > 0
}

// imageConfig reads a JSON member or blob (where: its member path, "" for
// a blob on disk): an image config is read block by block (Env, Labels,
// Cmd, history), each line one entry, with Layer "config"; any other JSON
// (a manifest, an index) is read as text.
func (s *fileScanner) imageConfig(job *archJob, r io.Reader, where string) error {
	b, err := io.ReadAll(io.LimitReader(r, maxConfigJSON+1))
	if err != nil {
		return err
	}
	var cfg imageConfigJSON
	if int64(len(b)) > maxConfigJSON || json.Unmarshal(b, &cfg) != nil || !cfg.isConfig() {
		saved := job.layer
		if blobLayer(job.path) != "" && where == "" {
			job.layer = "" // a manifest or index blob: not a layer
		}
		err := s.scanText(job, where, b, r, int64(len(b)) <= maxConfigJSON)
		job.layer = saved
		return err
	}
	s.arch.stats.Images++
	var env, labels, cmd, hist []string
	for _, c := range []*imageRunConfig{cfg.Config, cfg.ContainerConfig} {
		if c == nil {
			continue
		}
		for _, e := range c.Env {
			if !slices.Contains(env, e) {
				env = append(env, e)
			}
		}
		keys := make([]string, 0, len(c.Labels))
		for k := range c.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if l := k + "=" + c.Labels[k]; !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		for _, l := range []string{strings.Join(c.Entrypoint, " "), strings.Join(c.Cmd, " ")} {
			if l != "" && !slices.Contains(cmd, l) {
				cmd = append(cmd, l)
			}
		}
	}
	for _, h := range cfg.History {
		hist = append(hist, h.CreatedBy)
	}
	saved := job.layer
	job.layer = "config"
	defer func() { job.layer = saved }()
	prefix := ""
	if where != "" {
		prefix = where + "!/"
	}
	for _, blk := range []struct {
		name  string
		lines []string
	}{{"Env", env}, {"Labels", labels}, {"Cmd", cmd}, {"history", hist}} {
		if len(blk.lines) == 0 {
			continue
		}
		var t bytes.Buffer
		for _, l := range blk.lines {
			t.WriteString(strings.NewReplacer("\n", " ", "\r", " ").Replace(l))
			t.WriteByte('\n')
		}
		if err := s.scanText(job, prefix+blk.name, t.Bytes(), nil, true); err != nil {
			return err
		}
	}
	return nil
}
