-- Tamper evidence: every event stores a SHA-256 hash over its own content and the hash of the previous
-- event of its stream. Editing, removing or reordering a stored event breaks the chain from that event on;
-- `inbox audit verify` recomputes every chain outside the database and reports the first broken link.
--
-- The hash is computed here, by the database, from the values it actually stores: `payload::text` and
-- `metadata::text` are jsonb's canonical text (sorted keys, fixed spacing), so the verifier can rebuild the
-- exact same bytes from what it reads back. Timestamps enter as whole microseconds since the Unix epoch.
--
--   hash = sha256(previous hash (32 bytes; none for version 1)
--                 || utf8(global_position, event_id, stream_id, stream_version, event_type, schema_version,
--                         payload, metadata, occurred_at µs or '', recorded_at µs joined by U+001F))
--
-- U+001F cannot occur unescaped in jsonb text, and stream names and event types are our own.

alter table events add column hash bytea;

create function events_hash(previous bytea, e events) returns bytea
language sql immutable as $$
    select sha256(
        coalesce(previous, ''::bytea) || convert_to(concat_ws(chr(31),
            e.global_position::text,
            e.event_id::text,
            e.stream_id,
            e.stream_version::text,
            e.event_type,
            e.schema_version::text,
            e.payload::text,
            e.metadata::text,
            coalesce((extract(epoch from e.occurred_at) * 1000000)::bigint::text, ''),
            (extract(epoch from e.recorded_at) * 1000000)::bigint::text
        ), 'UTF8'))
$$;

-- Earlier events of the same statement are visible to a row trigger, so a batch appending several events
-- to one stream chains them in version order.
create function events_chain() returns trigger
language plpgsql as $$
declare
    previous bytea;
begin
    if new.stream_version > 1 then
        select hash into previous from events
        where stream_id = new.stream_id and stream_version = new.stream_version - 1;
        if previous is null then
            raise exception 'hash chain of % has no event at version %', new.stream_id, new.stream_version - 1
                using errcode = 'integrity_constraint_violation';
        end if;
    end if;
    new.hash := events_hash(previous, new);
    return new;
end;
$$;

-- Chain the events stored before this migration, stream by stream in version order.
alter table events disable trigger events_immutable;
do $$
declare
    r events;
    previous bytea;
    previous_stream text := null;
begin
    for r in select * from events order by stream_id, stream_version loop
        if previous_stream is distinct from r.stream_id then
            previous := null;
            previous_stream := r.stream_id;
        end if;
        previous := events_hash(previous, r);
        update events set hash = previous where global_position = r.global_position;
    end loop;
end;
$$;
alter table events enable trigger events_immutable;

alter table events alter column hash set not null;

create trigger events_chain
    before insert on events
    for each row execute function events_chain();
