-- Seeds the event store with :conversations conversations of :per_conversation text messages each, as the
-- webhook would have recorded them (same payload shape, metadata and hash chain), interleaved in time the
-- way a busy inbox receives them. Used by bench/read_side.sh; never run against a database you care about.
\set ON_ERROR_STOP on
insert into streams (stream_id, version)
select format('conversation-100000000000001-4477%s', lpad(c::text, 8, '0')), :per_conversation
from generate_series(0, :conversations - 1) c;

select set_config('bench.conversations', :'conversations', false),
       set_config('bench.per_conversation', :'per_conversation', false);

do $$
declare
    conversations bigint := current_setting('bench.conversations')::bigint;
    total bigint := conversations * current_setting('bench.per_conversation')::bigint;
    chunk bigint := 200000;
    start bigint := 0;
begin
    while start < total loop
        insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata,
                            occurred_at)
        select gen_random_uuid(),
               format('conversation-100000000000001-4477%s', lpad(c::text, 8, '0')),
               v,
               'message.received',
               1,
               jsonb_build_object(
                   'wamid', format('wamid.bench.%s', i),
                   'from', format('4477%s', lpad(c::text, 8, '0')),
                   'from_user_id', null,
                   'group_id', null,
                   'timestamp', to_char(to_timestamp(1700000000 + i) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   'kind', 'text',
                   'content', jsonb_build_object('content_type', 'text',
                       'body', format('Hi, is the Rolex Submariner 126610LN from listing %s still available? Price %s EUR', i, 9000 + i % 1000)),
                   'context', jsonb_build_object('reply_to', null, 'forwarded', false, 'frequently_forwarded', false,
                                                 'referred_product', null, 'referral', null),
                   'errors', '[]'::jsonb,
                   'raw', jsonb_build_object('from', format('4477%s', lpad(c::text, 8, '0')), 'id', format('wamid.bench.%s', i),
                       'timestamp', (1700000000 + i)::text, 'type', 'text',
                       'text', jsonb_build_object('body', format('Hi, is the Rolex Submariner 126610LN from listing %s still available? Price %s EUR', i, 9000 + i % 1000)))),
               jsonb_build_object('correlation_id', gen_random_uuid(), 'causation_id', gen_random_uuid(),
                                  'caused_by', jsonb_build_object('kind', 'system', 'reason', 'benchmark seed')),
               to_timestamp(1700000000 + i)
        from (select i, i % conversations as c, i / conversations + 1 as v
              from generate_series(start, least(start + chunk, total) - 1) i) s
        order by i;
        start := start + chunk;
        raise notice 'seeded % of % events', least(start, total), total;
    end loop;
end;
$$;
