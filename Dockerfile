# Local Key Manager: multi-stage build, runs as a non-root user.
#   docker build -t lkm .
#   docker run -p 8080:8080 -v lkm-data:/data lkm                      # embedded SQLite in /data
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Api -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /data
COPY --from=build /app /app
RUN groupadd --system lkm && useradd --system --gid lkm --home /data lkm && chown lkm:lkm /data
USER lkm
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_gcServer=1
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["dotnet", "/app/lkm.dll"]
CMD ["serve"]
