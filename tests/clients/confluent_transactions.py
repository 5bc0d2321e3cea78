"""Transactional producer (confluent-kafka): interleaved committed and aborted transactions.

spec: {bootstrap, topic, partitions: int, transactional_id, transactions: [{"commit": bool, "count": int}],
       config?: {}}
Each transaction writes `count` records with values "t<i>-r<j>" spread round robin over the
partitions, then commits or aborts. Prints {"committed": [values], "aborted": [values]} (the
values of each kind, in production order), or {"error": str} on a failure.
"""
from confluent_kafka import Producer, KafkaException

from common import spec, out

s = spec()
conf = {
    'bootstrap.servers': s['bootstrap'],
    'transactional.id': s['transactional_id'],
    'linger.ms': 5,
}
conf.update(s.get('config', {}))
p = Producer(conf)
committed, aborted = [], []
try:
    p.init_transactions(30)
    for i, txn in enumerate(s['transactions']):
        p.begin_transaction()
        values = []
        for j in range(txn['count']):
            v = 't%d-r%d' % (i, j)
            p.produce(s['topic'], value=v.encode(), key=('k%d' % j).encode(), partition=j % s['partitions'])
            values.append(v)
        if txn['commit']:
            p.commit_transaction(30)
            committed.extend(values)
        else:
            p.flush(30)  # the records reach the log before the abort
            p.abort_transaction(30)
            aborted.extend(values)
    out({'committed': committed, 'aborted': aborted})
except KafkaException as e:
    out({'error': str(e), 'committed': committed, 'aborted': aborted})
