// Command kafka-go-legacy produces and then consumes in a consumer group with
// segmentio/kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev), which speaks
// only Produce v2 / Fetch v2 (message format v1), for tests/compat/legacy-clients.test.ts.
// Built in GOPATH mode against /usr/share/gocode.
//
// stdin:  {"bootstrap", "topic", "group", "compression": "none|gzip|snappy|lz4",
//          "produce": [{"key": b64|null, "value": b64|null}], "consume": N, "timeout_s": 60}
// stdout: {"produced": [], "records": [{"partition", "offset", "key", "value"}], "error": ""}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type wireRecord struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

type spec struct {
	Bootstrap   string       `json:"bootstrap"`
	Topic       string       `json:"topic"`
	Group       string       `json:"group"`
	Compression string       `json:"compression"`
	Produce     []wireRecord `json:"produce"`
	Consume     int          `json:"consume"`
	TimeoutS    int          `json:"timeout_s"`
}

type consumed struct {
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       []byte `json:"key"`
	Value     []byte `json:"value"`
}

type result struct {
	Produced []struct{} `json:"produced"`
	Records  []consumed `json:"records"`
	Error    string     `json:"error"`
}

func codec(name string) kafka.CompressionCodec {
	switch name {
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	return nil
}

func run(s spec) (result, error) {
	res := result{Produced: []struct{}{}, Records: []consumed{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.TimeoutS)*time.Second)
	defer cancel()
	if len(s.Produce) > 0 {
		w := kafka.NewWriter(kafka.WriterConfig{
			Brokers:          []string{s.Bootstrap},
			Topic:            s.Topic,
			Balancer:         &kafka.LeastBytes{},
			BatchTimeout:     10 * time.Millisecond,
			CompressionCodec: codec(s.Compression),
		})
		msgs := make([]kafka.Message, len(s.Produce))
		for i, r := range s.Produce {
			msgs[i] = kafka.Message{Key: r.Key, Value: r.Value}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			w.Close()
			return res, fmt.Errorf("write: %v", err)
		}
		if err := w.Close(); err != nil {
			return res, fmt.Errorf("writer close: %v", err)
		}
		res.Produced = make([]struct{}, len(s.Produce))
	}
	if s.Consume > 0 {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:           []string{s.Bootstrap},
			GroupID:           s.Group,
			Topic:             s.Topic,
			MinBytes:          1,
			MaxBytes:          10e6,
			MaxWait:           200 * time.Millisecond,
			HeartbeatInterval: time.Second,
		})
		for len(res.Records) < s.Consume {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				r.Close()
				return res, fmt.Errorf("fetch after %d records: %v", len(res.Records), err)
			}
			res.Records = append(res.Records, consumed{m.Partition, m.Offset, m.Key, m.Value})
			if err := r.CommitMessages(ctx, m); err != nil {
				r.Close()
				return res, fmt.Errorf("commit: %v", err)
			}
		}
		if err := r.Close(); err != nil {
			return res, fmt.Errorf("reader close: %v", err)
		}
	}
	return res, nil
}

func main() {
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, "spec:", err)
		os.Exit(2)
	}
	if s.TimeoutS == 0 {
		s.TimeoutS = 60
	}
	res, err := run(s)
	if err != nil {
		res.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(res)
}
