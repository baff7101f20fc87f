using Microsoft.AspNetCore.Mvc;

namespace LocalKeyManager.Api.ErrorHandling;

/// <summary>An action's problem answer, written by <see cref="ProblemWriter"/> like every other one.</summary>
public sealed class ProblemResult(int status, string title, string detail) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) =>
        context.HttpContext.RequestServices.GetRequiredService<ProblemWriter>().WriteAsync(context.HttpContext, status, title, detail);
}
