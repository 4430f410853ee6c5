package loadgen

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// floorServer is a bare net/http server answering each scenario's route with a fixed JSON
// body of the size and status the real server gave: what this machine's loopback, HTTP stack
// and client cost with no work behind the route. It runs in the load tool's process, on its
// own goroutines.
type floorServer struct {
	url  string
	srv  *http.Server
	done chan struct{}
}

// startFloor serves scs on 127.0.0.1 with the answers in probes (same order).
func startFloor(scs []*scenario, probes []probe) (*floorServer, error) {
	mux := http.NewServeMux()
	for i, s := range scs {
		mux.Handle(s.method+" "+s.pattern, fixed(probes[i].status, probes[i].size))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &floorServer{
		url:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(f.done)
		_ = f.srv.Serve(ln) // ErrServerClosed once Close is called

	}()
	return f, nil
}

// Close stops the floor server and waits for it.
func (f *floorServer) Close() error {
	err := f.srv.Close()
	<-f.done
	return err
}

// fixed answers every request with status and a JSON body of size bytes, having read the
// request body as a real handler does.
func fixed(status, size int) http.Handler {
	body := floorBody(size)
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// floorBody is a valid JSON document of exactly n bytes (empty for 0).
func floorBody(n int) []byte {
	const head, tail = `{"pad":"`, `"}`
	switch {
	case n <= 0:
		return nil
	case n == 1:
		return []byte("0")
	case n < len(head)+len(tail):
		return append(append([]byte{'{'}, bytes.Repeat([]byte{' '}, n-2)...), '}')
	}
	b := make([]byte, 0, n)
	b = append(b, head...)
	b = append(b, bytes.Repeat([]byte{'x'}, n-len(head)-len(tail))...)
	return append(b, tail...)
}
