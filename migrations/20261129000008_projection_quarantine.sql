-- Events a projection could not decode, set aside so that one poison event never stops a read model.
-- Written in the same transaction as the batch that stepped over the event, so the view, its checkpoint
-- and this list always agree. `inbox projections quarantine` lists them; a rebuild of the projection
-- starts its list anew (the events are still in the log, unchanged).
create table projection_quarantine (
    projection      text not null,
    global_position bigint not null check (global_position > 0),
    event_id        uuid,
    stream_id       text not null,
    event_type      text not null,
    schema_version  integer not null,
    error           text not null,
    quarantined_at  timestamptz not null default now(),
    primary key (projection, global_position)
);
