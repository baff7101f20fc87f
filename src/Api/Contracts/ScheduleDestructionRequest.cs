namespace LocalKeyManager.Api.Contracts;

/// <summary><c>POST /keypair/{id}/schedule-destruction</c>: the waiting period, 7..30 days (default 30).</summary>
public sealed record ScheduleDestructionRequest(int? WaitingPeriodDays = null);
