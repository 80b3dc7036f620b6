package dispatch

import (
	"os"

	"github.com/switchboardpay/switchboard/protocol"
)

// The files of recordings follow data/export's rules: a cassette is
// written onto a new name, or onto an existing regular file with
// overwrite and only if its mode lets this user write it; a cassette is
// read from a regular file only (a FIFO would block the reader forever).

func checkCassetteSource(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil // the loader reports a missing file with its own code
	}
	if !fi.Mode().IsRegular() {
		return notRegular(path, fi.Mode())
	}
	return nil
}

func checkCassetteTarget(path string, overwrite bool) error {
	if path == "" {
		return nil
	}
	return checkExportTarget(path, overwrite)
}

func checkSessionCreatePaths(p protocol.SessionCreateParams) error {
	if err := checkCassetteSource(p.Replay); err != nil {
		return err
	}
	return checkCassetteTarget(p.Record, p.Overwrite)
}

func checkDiffPaths(p protocol.RecordingDiffParams) error {
	for _, src := range []string{p.From, p.Against} {
		if err := checkCassetteSource(src); err != nil {
			return err
		}
	}
	return checkCassetteTarget(p.Save, p.Overwrite)
}
