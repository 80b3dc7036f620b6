package dispatch

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/switchboardpay/switchboard/daemon/session"
	"github.com/switchboardpay/switchboard/protocol"
)

// exportData writes the session's stored items as JSON Lines to p.Path,
// through a temporary file renamed at the end, so a failed export never
// leaves half a file under the name the user gave. An existing file is
// replaced only as checkExportTarget allows.
func exportData(ctx context.Context, ss *session.Session, p protocol.DataExportParams) (protocol.DataExportResult, error) {
	if p.Path == "" {
		return protocol.DataExportResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: "is required"})
	}
	path, err := filepath.Abs(p.Path)
	if err != nil {
		return protocol.DataExportResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	if err := checkExportTarget(path, p.Overwrite); err != nil {
		return protocol.DataExportResult{}, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return protocol.DataExportResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
	}
	defer os.Remove(f.Name())
	w := newAsyncWriter(f)
	var size int64
	n, err := ss.Export(ctx, p.Resource, func(line []byte) error {
		if err := ctx.Err(); err != nil {
			return err // $/cancelRequest or the connection gone
		}
		size += int64(len(line))
		_, err := w.Write(line)
		return err
	})
	if werr := w.Close(); err == nil {
		err = werr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Again: a file may have appeared while the items were written.
		err = checkExportTarget(path, p.Overwrite)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		var pe *protocol.Error
		if errors.As(err, &pe) {
			return protocol.DataExportResult{}, err
		}
		return protocol.DataExportResult{}, &protocol.Error{Code: protocol.CodeInternalError, Message: "export to " + path + ": " + err.Error()}
	}
	return protocol.DataExportResult{Path: path, Items: n, Bytes: size}, nil
}

// importData reads JSON Lines of protocol.ExportLine from p.Path into the
// session's stored items.
func importData(ctx context.Context, ss *session.Session, p protocol.DataImportParams) (protocol.DataImportResult, error) {
	if p.Path == "" {
		return protocol.DataImportResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: "is required"})
	}
	f, err := openRegular(p.Path)
	if err != nil {
		return protocol.DataImportResult{}, err
	}
	defer f.Close()
	n, err := ss.Import(ctx, func(yield func([]byte) error) error {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			if err := ctx.Err(); err != nil {
				return err // $/cancelRequest or the connection gone
			}
			if len(sc.Bytes()) == 0 {
				continue
			}
			if err := yield(sc.Bytes()); err != nil {
				return err
			}
		}
		return sc.Err()
	})
	if err != nil {
		return protocol.DataImportResult{}, err
	}
	return protocol.DataImportResult{Items: n}, nil
}
