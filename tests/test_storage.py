"""Storage behaves the same on SQLite and PostgreSQL: migrations, people, handled updates,
and dialog state that outlives the process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import inspect, text

from storage import participants, projects, updates
from storage.db import create_engine, downgrade, upgrade
from storage.fsm import SQLStorage
from storage.models import Role

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42, destiny="aiogd_stack")


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrations_go_up_and_down_and_up_again(database_url):
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        assert {"participant", "project", "membership", "processed_update", "fsm_record"} <= (
            await _tables(engine)
        )
        await downgrade(engine, "base")
        assert await _tables(engine) <= {"alembic_version"}
        await upgrade(engine)
        await upgrade(engine)  # applying on every start is harmless
        assert "participant" in await _tables(engine)
    finally:
        await engine.dispose()


async def test_a_person_is_recorded_once_however_often_they_write(sessions):
    async with sessions() as session:
        first = await participants.get_or_create(session, 7_000_000_001)
        again = await participants.get_or_create(session, 7_000_000_001)
        await session.commit()
    assert first.id == again.id
    async with sessions() as session:
        stored = await participants.get_by_telegram_id(session, 7_000_000_001)
    assert stored is not None and stored.locale is None
    assert stored.created_at.tzinfo is not None  # times come back in UTC, aware


async def test_roles_are_per_project(sessions):
    async with sessions() as session:
        person = await participants.get_or_create(session, 55)
        team_a = await projects.create_project(session, "Carers' forum")
        team_b = await projects.create_project(session, "Youth panel")
        await projects.set_role(session, team_a, person, Role.FACILITATOR)
        await projects.set_role(session, team_b, person, Role.PARTICIPANT)
        await session.commit()
    async with sessions() as session:
        roles = {m.project_id: m.role for m in await projects.memberships_of(session, person.id)}
    assert roles == {team_a.id: Role.FACILITATOR, team_b.id: Role.PARTICIPANT}


async def test_handled_updates_are_remembered_and_old_ones_forgotten(sessions):
    async with sessions() as session:
        await updates.mark_processed(session, [100, 101])
        await updates.mark_processed(session, [101])  # a second mark is harmless
        await session.commit()
    async with sessions() as session:
        assert await updates.already_processed(session, [99, 100, 101, 102]) == {100, 101}
        assert await updates.forget_older_than(session, timedelta(days=2)) == 0
        assert await updates.forget_older_than(session, timedelta(seconds=-1)) == 2
        await session.commit()


async def test_dialog_state_survives_a_new_storage_on_the_same_database(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    from storage.db import create_session_factory

    first = SQLStorage(create_session_factory(engine))
    await first.set_state(KEY, "Start:language")
    await first.set_data(KEY, {"stack": ["abc"], "name": "Ańa 🙂", "when": 3})
    await engine.dispose()

    engine = create_engine(database_url)  # as if the process had restarted
    second = SQLStorage(create_session_factory(engine))
    assert await second.get_state(KEY) == "Start:language"
    assert await second.get_data(KEY) == {"stack": ["abc"], "name": "Ańa 🙂", "when": 3}
    other = StorageKey(bot_id=1, chat_id=42, user_id=42)  # the default destiny is another record
    assert await second.get_state(other) is None and await second.get_data(other) == {}
    await second.set_state(KEY, None)
    assert await second.get_state(KEY) is None
    assert (await second.get_data(KEY))["name"] == "Ańa 🙂"
    await engine.dispose()


async def test_times_are_stored_in_utc(sessions):
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    async with sessions() as session:
        person = await participants.get_or_create(session, 77)
        person.last_seen_at = moment
        await session.commit()
    async with sessions() as session:
        stored = await participants.get_by_telegram_id(session, 77)
    assert stored.last_seen_at == moment


async def test_the_migrations_build_exactly_the_schema_the_models_describe(sessions):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    def differences(sync_connection):
        context = MigrationContext.configure(sync_connection, opts={"compare_type": False})
        return compare_metadata(context, SQLModel.metadata)

    async with sessions() as session:
        connection = await session.connection()
        found = await connection.run_sync(differences)
    assert found == []


async def test_a_downgrade_and_upgrade_keep_who_is_in_which_team(database_url):
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0001")
        now = datetime.now(UTC).replace(tzinfo=None)
        async with engine.begin() as connection:  # the schema of 0001, so plain SQL
            await connection.execute(
                text(
                    "INSERT INTO participant (id, telegram_id, created_at, last_seen_at) "
                    "VALUES (1, 31, :now, :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO project (id, name, description, timezone, default_locale, "
                    "created_at) VALUES (1, 'Team', '', 'Europe/London', 'en', :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO membership (project_id, participant_id, role, created_at) "
                    "VALUES (1, 1, 'participant', :now)"
                ),
                {"now": now},
            )
        await upgrade(engine)
        await downgrade(engine, "0001")
        await upgrade(engine)
        from storage.db import create_session_factory

        async with create_session_factory(engine)() as session:
            assert len(await projects.memberships_of(session, 1)) == 1
    finally:
        await engine.dispose()


async def test_people_who_never_agreed_are_forgotten_after_30_days(sessions):
    from sqlalchemy import func, select

    from bot.services import consent, privacy
    from storage.models import FsmRecord, Participant

    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    async with sessions() as session:
        left_long_ago = await participants.get_or_create(session, 901)
        left_long_ago.last_seen_at = now - timedelta(days=31)
        just_arrived = await participants.get_or_create(session, 902)
        just_arrived.last_seen_at = now - timedelta(days=1)
        joined = await participants.get_or_create(session, 903)
        joined.last_seen_at = now - timedelta(days=90)
        await consent.give(session, joined, None)
        session.add(FsmRecord(key="fsm:901:901:aiogd:stack:", data='{"x": 1}'))
        session.add(FsmRecord(key="fsm:9010:9010:aiogd:stack:", data='{"x": 2}'))
        await session.commit()
    async with sessions() as session:
        assert await privacy.forget_people_who_never_joined(session, now) == 1
        await session.commit()
    async with sessions() as session:
        left = set((await session.execute(select(Participant.telegram_id))).scalars())
        records = set((await session.execute(select(FsmRecord.key))).scalars())
        assert await session.scalar(select(func.count()).select_from(FsmRecord)) == 1
    assert left == {902, 903}
    assert records == {
        "fsm:9010:9010:aiogd:stack:"
    }  # another person's, whose id merely starts alike
