package tui

import (
	"context"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
)

// Engine is what the screens need of the procedure's engine: a narrow view
// of *checklist.Engine. Every method that does I/O (the provider, the
// state file, the keyring) is called from a tea.Cmd only.
type Engine interface {
	// Reading (in memory)
	Snapshot() *checklist.Incident
	Views() []checklist.StepView
	View(id checklist.StepID) checklist.StepView
	Questions(id checklist.StepID) []checklist.Question
	Plan(id checklist.StepID) []checklist.Action
	Cursor() checklist.StepID
	Next() checklist.StepID
	Finished() bool
	IsDryRun() bool
	Provider() provider.Provider
	Secrets() *checklist.Secrets
	Context(id checklist.StepID, inc *checklist.Incident) []checklist.ContextLine
	Permissions() *provider.PermissionReport
	BuildReport() *checklist.Report
	ReportPath() string

	// Changing (I/O: commands only)
	SetCursor(id checklist.StepID) error
	Refresh(ctx context.Context, id checklist.StepID) error
	Answer(id checklist.StepID, answers map[string]string) error
	Apply(ctx context.Context, step checklist.StepID, act checklist.Action, inputs map[string]string) (checklist.Result, error)
	Complete(id checklist.StepID, answers map[string]string) error
	Skip(id checklist.StepID, reason string) error
	Reopen(id checklist.StepID) error
	Scan(ctx context.Context, roots []string, progress func(files, bytes int64, findings int)) (int, error)
	SetScanScope(s checklist.ScanScope)
	RecordFiling(f checklist.Filing) error
	WriteReport() (*checklist.Report, error)
	Close(ctx context.Context) (*checklist.Report, error)
	ReconcileWithJournal() []string

	// Drills (false / nil otherwise)
	Simulator() provider.Simulator
	DrillClock() (time.Duration, bool)
	DrillTick(after int) ([]checklist.DrillNotice, error)
	DrillNotices(after int) []checklist.DrillNotice
	WriteAfterAction() (*checklist.Debrief, error)
	AfterActionPath() string
}

var _ Engine = (*checklist.Engine)(nil)
