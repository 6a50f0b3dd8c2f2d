package adsync

import "time"

// ExportError is one <cs-object> that carries an <export-errordetail> in a
// `csexport.exe "<connector>" <file> /f:e` document. Strings are copied out
// of the XML verbatim (trimmed); nothing here is interpreted beyond parsing.
type ExportError struct {
	DN         string // cs-object/@cs-dn
	CSID       string // cs-object/@id, e.g. {7E1B6C2A-...}
	ObjectType string // cs-object/@object-type

	ErrorType         string // @error-type (on export-errordetail, or on its export-error child)
	ErrorCode         string // cd-error/error-code as written (8344, 0x2098, ...)
	Code              int64  // ErrorCode parsed (decimal or 0x hex); -1 when absent or unparsable
	ErrorName         string // cd-error/error-name (AAD connector, e.g. AttributeValueMustBeUnique)
	ErrorLiteral      string // cd-error/error-literal
	ServerErrorDetail string // cd-error/server-error-detail
	ExtraErrorDetails string // cd-error/extra-error-details

	FirstOccurred time.Time // zero when absent or unparsable
	DateOccurred  time.Time
	RetryCount    int64 // -1 when absent

	// Attributes are the names of unapplied-export/delta/attr and dn-attr,
	// sorted and unique: what the engine was trying to write.
	Attributes     []string
	DeltaOperation string // unapplied-export/delta/@operation
}

// ExportStats describes a parse.
type ExportStats struct {
	Objects      int   // cs-object elements seen
	ExportErrors int   // of which carried an export-errordetail
	Bytes        int64 // bytes read from the source (before transcoding)
	Encoding     string

	// Skipped counts the cs-objects not parsed because they exceed a limit
	// (csexport_limits.go); SkippedObjects describes the first few. An export
	// error on a skipped object is not seen, so a caller must say so.
	Skipped        int
	SkippedObjects []SkippedObject
}
