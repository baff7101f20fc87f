using LocalKeyManager.Application.Errors;
using LocalKeyManager.Application.Keys;
using LocalKeyManager.Application.Keys.ChangeKeypairState;
using LocalKeyManager.Application.Keys.Decrypt;
using LocalKeyManager.Application.Keys.DestroyDueKeypairs;
using LocalKeyManager.Application.Keys.ImportKeypair;
using LocalKeyManager.Application.UnitTests.Fakes;
using LocalKeyManager.Domain.Crypto;
using LocalKeyManager.Domain.Keys;
using NodaTime;
using NodaTime.Testing;

namespace LocalKeyManager.Application.UnitTests;

public sealed class LifecycleTests
{
    private readonly InMemoryKeypairs _keypairs = new();
    private readonly ScriptedRsaEngine _rsa = new() { Plaintext = [1, 2, 3] };
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 11, 29, 12, 0));
    private readonly Keypair _keypair = Keypair.Create(KeypairId.New(), [1], new WrappedKey("fake:v1", [2]), Instant.FromUnixTimeSeconds(1));

    public LifecycleTests() => _keypairs.Stored.Add(_keypair.Id, _keypair);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<KeypairDto> Change(KeypairStateChange change, int? days = null) =>
        new ChangeKeypairStateHandler(_keypairs, _rsa, _clock).Handle(new ChangeKeypairState(_keypair.Id.ToString(), change, days), Ct).AsTask();

    private Task<DecryptResult> Decrypt() =>
        new DecryptHandler(_keypairs, _rsa).Handle(new Decrypt(_keypair.Id.ToString(), "AAAA", null), Ct).AsTask();

    [Fact]
    public async Task Disable_refuses_decrypts_drops_the_cached_key_and_enable_restores_them()
    {
        (await Change(KeypairStateChange.Disable)).State.Should().Be(KeyState.Disabled);
        _rsa.Forgotten.Should().Contain(_keypair.Id);
        (await FluentActions.Awaiting(Decrypt).Should().ThrowAsync<ForbiddenException>()).Which.Message.Should().Contain("disabled");

        (await Change(KeypairStateChange.Enable)).State.Should().Be(KeyState.Enabled);
        (await Decrypt()).Plaintext.Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task Destruction_waits_its_period_can_be_cancelled_and_then_erases_only_the_private_key()
    {
        var scheduled = await Change(KeypairStateChange.ScheduleDestruction, 7);
        scheduled.State.Should().Be(KeyState.PendingDestruction);
        scheduled.DestroyAt.Should().Be(_clock.GetCurrentInstant() + Duration.FromDays(7));
        await FluentActions.Awaiting(Decrypt).Should().ThrowAsync<ForbiddenException>();

        (await Change(KeypairStateChange.CancelDestruction)).State.Should().Be(KeyState.Disabled);
        (await Change(KeypairStateChange.ScheduleDestruction)).DestroyAt.Should().Be(_clock.GetCurrentInstant() + Duration.FromDays(30));

        var destroy = new DestroyDueKeypairsHandler(_keypairs, _rsa, _clock);
        _clock.Advance(Duration.FromDays(29));
        (await destroy.Handle(new DestroyDueKeypairs(), Ct)).Should().BeEmpty();
        _keypairs.DestructionRecords.Should().BeEmpty();
        _clock.Advance(Duration.FromDays(1));
        (await destroy.Handle(new DestroyDueKeypairs(), Ct)).Should().Equal(_keypair.Id);

        var record = _keypairs.DestructionRecords.Should().ContainSingle().Subject;
        record.CredentialId.Should().Be("(system)", "no credential can be registered under that id");
        record.RequestMethod.Should().Be("DESTROY");
        record.KeypairId.Should().Be(_keypair.Id.ToString());
        record.Detail.Should().Contain("erased the private key").And.Contain("2026-12-29T12:00:00.000Z");

        var stored = _keypairs.Stored[_keypair.Id];
        stored.State.Should().Be(KeyState.Destroyed);
        stored.PrivateKey.Should().BeNull();
        stored.PublicKey.Should().Equal(1);
        (await FluentActions.Awaiting(Decrypt).Should().ThrowAsync<ForbiddenException>()).Which.Message.Should().Contain("destroyed");
    }

    [Theory]
    [InlineData(6)]
    [InlineData(31)]
    public void A_waiting_period_outside_7_to_30_days_is_invalid(int days)
    {
        new ChangeKeypairStateValidator().Validate(new ChangeKeypairState("x", KeypairStateChange.ScheduleDestruction, days)).IsValid.Should().BeFalse();
    }

    [Fact]
    public async Task Impossible_transitions_are_conflicts_and_unknown_ids_not_found()
    {
        var scheduled = await Change(KeypairStateChange.ScheduleDestruction, 7);
        await FluentActions.Awaiting(() => Change(KeypairStateChange.Enable)).Should().ThrowAsync<ConflictException>();

        // A second schedule never moves the date that stands (it might be a later one), silently or at all.
        _clock.Advance(Duration.FromHours(1));
        var again = await FluentActions.Awaiting(() => Change(KeypairStateChange.ScheduleDestruction, 30)).Should().ThrowAsync<ConflictException>();
        again.Which.Message.Should().Contain("already pendingDestruction").And.Contain("cancel the destruction first");
        _keypairs.Stored[_keypair.Id].DestroyAt.Should().Be(scheduled.DestroyAt);

        await FluentActions.Awaiting(() => new ChangeKeypairStateHandler(_keypairs, _rsa, _clock)
            .Handle(new ChangeKeypairState(Guid.NewGuid().ToString(), KeypairStateChange.Disable), Ct).AsTask()).Should().ThrowAsync<NotFoundException>();
    }

    [Theory]
    [InlineData(KeypairStateChange.Disable, KeyState.Disabled, KeyState.Disabled)]
    [InlineData(KeypairStateChange.Enable, KeyState.Enabled, KeyState.Enabled)]
    [InlineData(KeypairStateChange.CancelDestruction, KeyState.Disabled, KeyState.Disabled)] // a cancel's retry
    [InlineData(KeypairStateChange.CancelDestruction, KeyState.Enabled, KeyState.Enabled)] // nothing scheduled
    public async Task A_change_that_finds_the_keypair_already_as_it_asks_is_an_answer_that_writes_nothing(KeypairStateChange change, KeyState state, KeyState answered)
    {
        _keypairs.Stored[_keypair.Id] = Keypair.Restore(_keypair.Id, _keypair.PublicKey, _keypair.PrivateKey, _keypair.CreatedAt, state);

        (await Change(change)).State.Should().Be(answered);

        _keypairs.Updates.Should().Be(0);
        _keypairs.Stored[_keypair.Id].State.Should().Be(state);
    }

    [Fact]
    public async Task The_same_change_made_by_someone_else_since_the_read_is_an_answer_not_a_conflict()
    {
        // Two administrators cancel at once: the second finds it already cancelled when it writes.
        await Change(KeypairStateChange.ScheduleDestruction, 7);
        _keypairs.ChangeMeanwhile = stored => stored.CancelDestruction();

        var answer = await Change(KeypairStateChange.CancelDestruction);

        answer.State.Should().Be(KeyState.Disabled);
        answer.DestroyAt.Should().BeNull();
        _keypairs.Updates.Should().Be(1, "only the schedule was written by this handler");
    }

    [Fact]
    public async Task A_different_change_made_since_the_read_is_a_conflict_that_undoes_nothing()
    {
        // Disabling a key someone scheduled for destruction meanwhile would drop that schedule.
        _keypairs.ChangeMeanwhile = stored => stored.ScheduleDestruction(_clock.GetCurrentInstant(), 7);

        await FluentActions.Awaiting(() => Change(KeypairStateChange.Disable)).Should().ThrowAsync<ConflictException>();

        _keypairs.Stored[_keypair.Id].State.Should().Be(KeyState.PendingDestruction);
        _keypairs.Updates.Should().Be(0);
    }

    [Fact]
    public async Task A_destroyed_keypair_takes_no_lifecycle_change()
    {
        await Change(KeypairStateChange.ScheduleDestruction, 7);
        _clock.Advance(Duration.FromDays(7));
        await new DestroyDueKeypairsHandler(_keypairs, _rsa, _clock).Handle(new DestroyDueKeypairs(), Ct);

        foreach (var change in Enum.GetValues<KeypairStateChange>())
        {
            (await FluentActions.Awaiting(() => Change(change)).Should().ThrowAsync<ConflictException>()).Which.Message.Should().Contain("destroyed");
        }
    }

    [Fact]
    public async Task A_change_that_finds_the_keypair_changed_since_it_was_read_is_a_conflict()
    {
        _keypairs.ChangedMeanwhile = true;

        var conflict = await FluentActions.Awaiting(() => Change(KeypairStateChange.Disable)).Should().ThrowAsync<ConflictException>();

        conflict.Which.Message.Should().Contain("changed while this request was handled").And.Contain("nothing was changed");
        _keypairs.Updates.Should().Be(0);
        _rsa.Forgotten.Should().NotContain(_keypair.Id, "nothing was committed");
    }

    [Fact]
    public async Task Import_keeps_the_given_id_and_date_and_is_idempotent_for_the_same_key()
    {
        var id = KeypairId.New();
        _rsa.Imported = new GeneratedKeypair([7, 7], new WrappedKey("fake:v1", [8]));
        var handler = new ImportKeypairHandler(_rsa, _keypairs, _clock);

        var first = await handler.Handle(new ImportKeypair("key", id.ToString(), 1_479_389_944_924), Ct);
        var again = await handler.Handle(new ImportKeypair("key", id.ToString(), null), Ct);

        first.Created.Should().BeTrue();
        first.Keypair.Id.Should().Be(id);
        first.Keypair.CreatedAt.Should().Be(Instant.FromUnixTimeMilliseconds(1_479_389_944_924));
        again.Created.Should().BeFalse();
        again.Keypair.CreatedAt.Should().Be(first.Keypair.CreatedAt);

        _rsa.Imported = new GeneratedKeypair([9, 9], new WrappedKey("fake:v1", [8]));
        await FluentActions.Awaiting(() => handler.Handle(new ImportKeypair("other", id.ToString(), null), Ct).AsTask()).Should().ThrowAsync<ConflictException>();
        _keypairs.Stored[id].PublicKey.Should().Equal(7, 7);
    }

    [Fact]
    public async Task Importing_the_key_of_a_destroyed_keypair_again_is_an_idempotent_answer_and_leaves_it_destroyed()
    {
        await Change(KeypairStateChange.ScheduleDestruction, 7);
        _clock.Advance(Duration.FromDays(7));
        (await new DestroyDueKeypairsHandler(_keypairs, _rsa, _clock).Handle(new DestroyDueKeypairs(), Ct)).Should().ContainSingle();
        _rsa.Imported = new GeneratedKeypair([1], new WrappedKey("fake:v1", [2]));

        var again = await new ImportKeypairHandler(_rsa, _keypairs, _clock).Handle(new ImportKeypair("key", _keypair.Id.ToString(), null), Ct);

        again.Created.Should().BeFalse();
        again.Keypair.State.Should().Be(KeyState.Destroyed);
        _keypairs.Stored[_keypair.Id].State.Should().Be(KeyState.Destroyed);
        _keypairs.Stored[_keypair.Id].PrivateKey.Should().BeNull();
    }

    [Fact]
    public async Task Import_of_something_that_is_not_a_usable_key_is_a_validation_failure()
    {
        _rsa.Imported = null;
        _rsa.ImportError = "privateKey is RSA-1024; keys below 2048 bits are refused.";

        var act = () => new ImportKeypairHandler(_rsa, _keypairs, _clock).Handle(new ImportKeypair("key", null, null), Ct).AsTask();

        (await act.Should().ThrowAsync<ValidationFailedException>()).Which.Errors["privateKey"].Should().ContainSingle().Which.Should().Contain("2048");
    }
}
