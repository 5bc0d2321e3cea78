// Command sarama-legacy produces and then consumes in a consumer group with sarama
// (Debian golang-github-shopify-sarama-dev) pinned to an old protocol version, for
// tests/compat/legacy-clients.test.ts. Built in GOPATH mode against /usr/share/gocode.
//
// stdin:  {"bootstrap", "topic", "group", "version": "0.10.2.0", "compression": "none|gzip|snappy|lz4",
//          "produce": [{"key": b64|null, "value": b64|null}], "consume": N, "timeout_s": 60}
// stdout: {"produced": [{"partition", "offset"}], "records": [{"partition", "offset", "key", "value"}], "error": ""}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type wireRecord struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

type spec struct {
	Bootstrap   string       `json:"bootstrap"`
	Topic       string       `json:"topic"`
	Group       string       `json:"group"`
	Version     string       `json:"version"`
	Compression string       `json:"compression"`
	Produce     []wireRecord `json:"produce"`
	Consume     int          `json:"consume"`
	TimeoutS    int          `json:"timeout_s"`
}

type produced struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

type consumed struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Key       []byte `json:"key"`
	Value     []byte `json:"value"`
}

type result struct {
	Produced []produced `json:"produced"`
	Records  []consumed `json:"records"`
	Error    string     `json:"error"`
}

var codecs = map[string]sarama.CompressionCodec{
	"": sarama.CompressionNone, "none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4,
}

// handler collects records until `want` arrived, marking each so the group commits it.
type handler struct {
	mu      sync.Mutex
	records []consumed
	want    int
	done    chan struct{}
	once    sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.records = append(h.records, consumed{m.Partition, m.Offset, m.Key, m.Value})
		n := len(h.records)
		h.mu.Unlock()
		sess.MarkMessage(m, "")
		if n >= h.want {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func run(s spec) (result, error) {
	res := result{Produced: []produced{}, Records: []consumed{}}
	version, err := sarama.ParseKafkaVersion(s.Version)
	if err != nil {
		return res, err
	}
	config := sarama.NewConfig()
	config.Version = version
	config.ClientID = "sarama-legacy"
	config.Producer.Return.Successes = true
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Compression = codecs[s.Compression]
	config.Consumer.Offsets.Initial = sarama.OffsetOldest
	config.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	config.Consumer.Return.Errors = true
	brokers := []string{s.Bootstrap}

	if len(s.Produce) > 0 {
		producer, err := sarama.NewSyncProducer(brokers, config)
		if err != nil {
			return res, fmt.Errorf("producer: %v", err)
		}
		for _, r := range s.Produce {
			msg := &sarama.ProducerMessage{Topic: s.Topic, Partition: 0}
			if r.Key != nil {
				msg.Key = sarama.ByteEncoder(r.Key)
			}
			if r.Value != nil {
				msg.Value = sarama.ByteEncoder(r.Value)
			}
			p, o, err := producer.SendMessage(msg)
			if err != nil {
				producer.Close()
				return res, fmt.Errorf("send: %v", err)
			}
			res.Produced = append(res.Produced, produced{p, o})
		}
		if err := producer.Close(); err != nil {
			return res, fmt.Errorf("producer close: %v", err)
		}
	}

	if s.Consume > 0 {
		group, err := sarama.NewConsumerGroup(brokers, s.Group, config)
		if err != nil {
			return res, fmt.Errorf("consumer group: %v", err)
		}
		h := &handler{want: s.Consume, done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for err := range group.Errors() {
				fmt.Fprintln(os.Stderr, "group error:", err)
			}
		}()
		go func() {
			for ctx.Err() == nil {
				if err := group.Consume(ctx, []string{s.Topic}, h); err != nil {
					fmt.Fprintln(os.Stderr, "consume:", err)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		select {
		case <-h.done:
		case <-time.After(time.Duration(s.TimeoutS) * time.Second):
			res.Error = fmt.Sprintf("timed out with %d of %d records", len(h.records), s.Consume)
		}
		cancel()
		// Close commits the marked offsets before leaving the group.
		if err := group.Close(); err != nil {
			return res, fmt.Errorf("group close: %v", err)
		}
		h.mu.Lock()
		res.Records = append(res.Records, h.records...)
		h.mu.Unlock()
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
