-- An append batch in one round trip.
--
-- The store used to append a batch in seven statements (begin; known ids; create stream rows; lock them;
-- set versions; insert; commit), each a round trip to the server while the stream rows were locked. This
-- function makes the same decisions on the server, so the caller sends one statement that commits on its
-- own. It changes none of the guarantees of `20261121000001_event_store.sql`: stream rows are locked in
-- stream name order before any version is checked, the insert still takes the append lock through the
-- `events_append_lock` trigger (positions in commit order), the hash chain still comes from `events_chain`
-- and the notification from `events_notify`.
--
-- The batch is a list of requests, each one stream's events with the version it expects, decided in order
-- as if each were appended alone:
-- - `stream_names`: the distinct streams of the batch (any order);
-- - per request: `req_stream` (1-based index into `stream_names`), `req_expected` (the number of events
--   the stream must hold, null for "any"), `req_first` and `req_count` (its events' slice, 1-based);
-- - per event: `ev_request`, its request (1-based; a request's events are contiguous and in order),
--   `ev_previous`, the index of the nearest earlier event of the batch with the same id or 0 (the caller
--   computes it, so the function needs no set of ids), then the event's columns.
--
-- An event is skipped (a duplicate) when its id is stored already, appears earlier in its own request, or
-- was written by an earlier request of the batch. A request whose events are all skipped succeeds without
-- checking its expected version; otherwise a mismatch refuses the whole request (a conflict) and leaves
-- its ids free for later requests.
--
-- It answers per request `req_ok` (false: conflict), `req_version` (the stream's version after the
-- request, or the one that conflicted) and `req_duplicates`, and per event `ev_version` and `ev_position`
-- (null for events not written).
create function append_events(
    stream_names   text[],
    req_stream     int[],
    req_expected   bigint[],
    req_first      int[],
    req_count      int[],
    ev_request     int[],
    ev_previous    int[],
    ev_id          uuid[],
    ev_type        text[],
    ev_schema      int[],
    ev_payload     jsonb[],
    ev_metadata    jsonb[],
    ev_occurred    timestamptz[],
    out req_ok         boolean[],
    out req_version    bigint[],
    out req_duplicates int[],
    out ev_version     bigint[],
    out ev_position    bigint[]
)
language plpgsql as $$
declare
    versions   bigint[];
    -- Whether an event's id is stored: before the batch, or by the batch so far.
    stored     boolean[];
    fresh      int;
    skipped    int;
    current    bigint;
    previous   int;
    r          int;
    i          int;
    last       int;
    any_fresh  boolean := false;
begin
    -- Stream rows are created and locked in one order for every node, so two batches over overlapping
    -- streams cannot deadlock.
    insert into streams (stream_id)
    select s from unnest(stream_names) as s order by s
    on conflict (stream_id) do nothing;
    perform 1 from streams where stream_id = any(stream_names) order by stream_id for update;
    select array_agg(s.version order by u.ord) into versions
    from unnest(stream_names) with ordinality as u(stream_id, ord)
    join streams s on s.stream_id = u.stream_id;

    select array_agg(e.event_id is not null order by t.ord) into stored
    from unnest(ev_id) with ordinality as t(event_id, ord)
    left join events e on e.event_id = t.event_id;

    req_ok := array_fill(false, array[coalesce(cardinality(req_stream), 0)]);
    req_version := array_fill(0::bigint, array[coalesce(cardinality(req_stream), 0)]);
    req_duplicates := array_fill(0, array[coalesce(cardinality(req_stream), 0)]);
    ev_version := array_fill(null::bigint, array[coalesce(cardinality(ev_id), 0)]);

    for r in 1 .. coalesce(cardinality(req_stream), 0) loop
        current := versions[req_stream[r]];
        last := req_first[r] + req_count[r] - 1;
        fresh := 0;
        skipped := 0;
        for i in req_first[r] .. last loop
            previous := ev_previous[i];
            if stored[i] or (previous > 0 and (previous >= req_first[r] or stored[previous])) then
                skipped := skipped + 1;
            else
                fresh := fresh + 1;
                ev_version[i] := current + fresh;
            end if;
        end loop;
        if fresh = 0 then
            req_ok[r] := true;
            req_version[r] := current;
            req_duplicates[r] := skipped;
        elsif req_expected[r] is not null and req_expected[r] <> current then
            req_version[r] := current;
            for i in req_first[r] .. last loop
                ev_version[i] := null;
            end loop;
        else
            req_ok[r] := true;
            req_version[r] := current + fresh;
            req_duplicates[r] := skipped;
            versions[req_stream[r]] := current + fresh;
            any_fresh := true;
        end if;
        -- What this request leaves stored, in order, so repeats later in the batch see it.
        for i in req_first[r] .. last loop
            previous := ev_previous[i];
            stored[i] := stored[i] or ev_version[i] is not null or (previous > 0 and stored[previous]);
        end loop;
    end loop;

    if not any_fresh then
        return;
    end if;

    update streams set version = u.version, updated_at = now()
    from unnest(stream_names, versions) as u(stream_id, version)
    where streams.stream_id = u.stream_id and streams.version <> u.version;

    -- Rows go in batch order, so a stream's events take increasing positions in version order.
    with written as (
        insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload,
                            metadata, occurred_at)
        select t.event_id, stream_names[req_stream[t.request]], t.stream_version, t.event_type,
               t.schema_version, t.payload, t.metadata, t.occurred_at
        from unnest(ev_id, ev_version, ev_type, ev_schema, ev_payload, ev_metadata, ev_occurred, ev_request)
             with ordinality as t(event_id, stream_version, event_type, schema_version, payload, metadata,
                                  occurred_at, request, ord)
        where t.stream_version is not null
        order by t.ord
        returning event_id, global_position
    )
    select array_agg(w.global_position order by t.ord) into ev_position
    from unnest(ev_id, ev_version) with ordinality as t(event_id, stream_version, ord)
    left join written w on w.event_id = t.event_id and t.stream_version is not null;
end;
$$;
