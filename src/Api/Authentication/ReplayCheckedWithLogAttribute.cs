namespace LocalKeyManager.Api.Authentication;

/// <summary>
/// Marks an action whose handling changes nothing but the request log (decrypt): its Hawk nonce is
/// recorded in the same commit as its request-log entry, after the action ran, instead of in a
/// commit of its own before it. The answer is held back until that commit, and a nonce used
/// before turns it into the same <c>401 Invalid nonce</c>, so a replay still gets nothing; the
/// request waits for one commit instead of two. Never on an action with other side effects:
/// those must be refused before they happen.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ReplayCheckedWithLogAttribute : Attribute;
