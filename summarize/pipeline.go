package summarize

import (
	"runtime"
)

// Reading a stream is a pipeline: one goroutine cuts documents (the
// splitter is sequential by nature), GOMAXPROCS workers validate and parse
// them in batches (most of the CPU), and the caller merges the results in
// input order, so that "on a tie the later input wins" and the rejected
// list do not depend on scheduling. At most 3 × workers batches are alive
// at a time: memory stays constant in the number of verdicts.
const (
	batchBytes = 1 << 20 // a batch closes when its documents hold this much...
	batchDocs  = 512     // ...or this many pieces
)

// batch is a run of consecutive pieces of one stream.
type batch struct {
	buf    []byte
	pieces []batchPiece
	out    []parsed
	done   chan struct{}
}

type batchPiece struct {
	start, end, line int
	reason           string // set: rejected by the splitter, nothing to parse
}

type parsed struct {
	h      *host
	reason string
}

// getBatch takes a batch from the free list, or makes one while fewer
// than its capacity exist: buffers are reused, not reallocated and cleared.
func getBatch(free chan *batch) *batch {
	select {
	case b := <-free:
		b.buf, b.pieces, b.done = b.buf[:0], b.pieces[:0], make(chan struct{})
		return b
	default:
		return &batch{buf: make([]byte, 0, batchBytes+batchBytes/4), done: make(chan struct{})}
	}
}

// add copies the piece: the splitter reuses its buffers on the next call.
func (b *batch) add(p piece) {
	bp := batchPiece{start: len(b.buf), line: p.line, reason: p.reason}
	b.buf = append(b.buf, p.doc...)
	bp.end = len(b.buf)
	b.pieces = append(b.pieces, bp)
}

func (b *batch) full() bool { return len(b.buf) >= batchBytes || len(b.pieces) >= batchDocs }

func (b *batch) parse() {
	if cap(b.out) < len(b.pieces) {
		b.out = make([]parsed, len(b.pieces))
	} else {
		b.out = b.out[:len(b.pieces)]
		clear(b.out)
	}
	for i, p := range b.pieces {
		if p.reason == "" {
			b.out[i].h, b.out[i].reason = parseVerdict(b.buf[p.start:p.end])
		}
	}
	close(b.done)
}

// readStream runs the pipeline over one splitter and merges into s.
func (s *Summarizer) readStream(name string, sp *splitter) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers)
	free := make(chan *batch, 3*workers+1)
	go func() {
		defer close(ordered)
		defer close(work)
		b := getBatch(free)
		for {
			p, ok := sp.next()
			if !ok {
				break
			}
			b.add(p)
			if b.full() {
				ordered <- b // first in order, then to a worker: the merger waits on the head
				work <- b
				b = getBatch(free)
			}
		}
		if len(b.pieces) > 0 {
			ordered <- b
			work <- b
		}
	}()
	for range workers {
		go func() {
			for b := range work {
				b.parse()
			}
		}()
	}
	for b := range ordered {
		<-b.done
		for i, p := range b.pieces {
			s.in.Documents++
			if p.reason != "" {
				s.reject(name, p.line, p.reason)
				continue
			}
			s.merge(b.out[i].h, b.out[i].reason, name, p.line)
		}
		select { // the hosts share no memory with the batch: reuse it
		case free <- b:
		default:
		}
	}
}
