-- Each number's team-work settings (business hours, away message, automatic assignment), whole, as last
-- saved (`teamwork.configured`): what the team-work worker reads. Null: never saved, the defaults.
alter table inbox_accounts add column teamwork jsonb;
