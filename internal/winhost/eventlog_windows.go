package winhost

import (
	"errors"

	"golang.org/x/sys/windows/registry"
	xeventlog "golang.org/x/sys/windows/svc/eventlog"
)

// platformEvents is the Application log through advapi32
// (RegisterEventSourceW, ReportEventW) and the registry.
type platformEvents struct{}

func (platformEvents) lookup(source string) (string, bool, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey+`\`+source, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, hint(err)
	}
	defer k.Close()
	file, _, err := k.GetStringValue("EventMessageFile")
	if err != nil && !errors.Is(err, registry.ErrNotExist) {
		return "", true, err
	}
	return file, true, nil
}

// register writes the source's key with EventCreate.exe as message file.
// Another process may have registered it in the meantime: that counts.
func (p platformEvents) register(source string) error {
	err := xeventlog.Install(source, EventMessageFile, true, eventTypesSupported)
	if err == nil {
		return nil
	}
	if _, ok, lerr := p.lookup(source); lerr == nil && ok {
		return nil
	}
	return hint(err)
}

func (platformEvents) write(source string, id EventID, level EventLevel, message string) error {
	l, err := xeventlog.Open(source)
	if err != nil {
		return hint(err)
	}
	defer l.Close()
	switch level {
	case EventWarning:
		return l.Warning(uint32(id), message)
	case EventError:
		return l.Error(uint32(id), message)
	}
	return l.Info(uint32(id), message)
}
