package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	gossh "golang.org/x/crypto/ssh"
)

// ensureHostKey returns the server's host key (PEM) and its fingerprint,
// making an ed25519 key with mode 0600 on first run. An existing key that
// other users may read is refused, as sshd does.
func ensureHostKey(path string) (pemBytes []byte, fingerprint string, created bool, err error) {
	pemBytes, err = os.ReadFile(path)
	switch {
	case err == nil:
		fi, err := os.Stat(path)
		if err != nil {
			return nil, "", false, fmt.Errorf("host key: %w", err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			return nil, "", false, fmt.Errorf("host key %s has mode %04o: other users could read it and pose as this server; chmod 600 %s", path, fi.Mode().Perm(), shellQuoteArg(path))
		}
	case errors.Is(err, os.ErrNotExist):
		pemBytes, err = newHostKeyFile(path)
		if err != nil {
			return nil, "", false, err
		}
		created = true
	default:
		return nil, "", false, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(pemBytes)
	if err != nil {
		return nil, "", false, fmt.Errorf("host key %s: %v (an unencrypted OpenSSH or PEM private key is needed)", path, err)
	}
	return pemBytes, gossh.FingerprintSHA256(signer.PublicKey()), created, nil
}

// newHostKeyFile writes a new ed25519 key to path with mode 0600. O_EXCL:
// an existing file or link there is never overwritten or followed.
func newHostKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("host key folder: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "reclaim serve host key")
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(block)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	return b, nil
}
