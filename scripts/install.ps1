# Installs headroom on Windows, in PowerShell:
#   irm https://github.com/headroom-sh/headroom/releases/latest/download/install.ps1 | iex
#
# Downloads the Windows archive, verifies it against the release's SHA256SUMS with
# Get-FileHash, puts headroom.exe in %LOCALAPPDATA%\headroom\bin (or $env:HEADROOM_INSTALL_DIR)
# and adds that folder to your user PATH. Re-running it upgrades in place.
#
# Settings (environment variables):
#   HEADROOM_VERSION          install this version instead of the latest (e.g. 0.1.0)
#   HEADROOM_INSTALL_DIR      install here instead of %LOCALAPPDATA%\headroom\bin
#   HEADROOM_DOWNLOAD_URL     download base holding latest and <version>/ folders
#                             (default https://github.com/headroom-sh/headroom/releases/download)
#   HEADROOM_NO_MODIFY_PATH   set to 1 to leave the user PATH alone
#   HEADROOM_NO_RESTART       set to 1 to leave running deployments on the old version
#                             (by default each one that runs another version is restarted)
# For testing only: HEADROOM_INSTALL_OS and HEADROOM_INSTALL_ARCH stand in for the
# detected OS (Windows_NT) and CPU (AMD64, ARM64, x86).

$HeadroomDefaultBase = 'https://github.com/headroom-sh/headroom/releases/download'
$HeadroomDefaultLatest = 'https://github.com/headroom-sh/headroom/releases/latest/download/latest'

function Write-HeadroomInfo([string]$Message) {
    Write-Host "headroom-install: $Message"
}

function Get-HeadroomTarget {
    $os = if ($env:HEADROOM_INSTALL_OS) { $env:HEADROOM_INSTALL_OS } else { $env:OS }
    if ($os -ne 'Windows_NT') {
        throw "this installer is for Windows; on Linux or macOS run: curl -fsSL https://github.com/headroom-sh/headroom/releases/latest/download/install.sh | sh"
    }
    $arch = if ($env:HEADROOM_INSTALL_ARCH) { $env:HEADROOM_INSTALL_ARCH }
            elseif ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 }
            else { $env:PROCESSOR_ARCHITECTURE }
    switch -Regex ($arch) {
        '^(AMD64|x64|x86_64)$' { return 'windows-x64' }
        # Windows 11 on ARM runs x64 programs through its built-in emulation.
        '^(ARM64|arm64)$' { Write-HeadroomInfo 'ARM64 Windows: installing the x64 build, which runs under emulation.'; return 'windows-x64' }
        default { throw "unsupported CPU architecture '$arch'; headroom ships a Windows binary for x64 (and ARM64 through emulation) only." }
    }
}

function Invoke-HeadroomDownload([string]$Url, [string]$OutFile) {
    try {
        Invoke-WebRequest -Uri $Url -OutFile $OutFile -UseBasicParsing
    } catch {
        throw "could not download $Url ($($_.Exception.Message)); check the network, HEADROOM_DOWNLOAD_URL and HEADROOM_VERSION."
    }
}

function Get-HeadroomExpectedHash([string]$SumsFile, [string]$FileName) {
    foreach ($line in Get-Content -LiteralPath $SumsFile) {
        if ($line -match '^([0-9A-Fa-f]{64}) [ *](.+)$' -and $Matches[2] -eq $FileName) {
            return $Matches[1].ToLowerInvariant()
        }
    }
    return $null
}

function Test-HeadroomPathContains([string]$PathValue, [string]$Dir) {
    if (-not $PathValue) { return $false }
    $want = $Dir.TrimEnd('\')
    foreach ($entry in $PathValue.Split(';')) {
        if ($entry.Trim().TrimEnd('\') -ieq $want) { return $true }
    }
    return $false
}

function Add-HeadroomToUserPath([string]$Dir) {
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (Test-HeadroomPathContains $userPath $Dir) { return $false }
    $newPath = if ($userPath) { $userPath.TrimEnd(';') + ';' + $Dir } else { $Dir }
    [Environment]::SetEnvironmentVariable('Path', $newPath, 'User')
    return $true
}

# After the swap: the new headroom.exe restarts, through Task Scheduler, every deployment
# whose runtime runs another version (`headroom install upgrade-restart`) and checks each
# is healthy; a release that does not know the command gets the manual hint instead.
function Restart-HeadroomDeployments([string]$Exe, [string]$Version) {
    $hint = "if headroom runs as a service (headroom install), run 'headroom install restart' to switch it to $Version."
    if ($env:HEADROOM_NO_RESTART -eq '1') {
        Write-HeadroomInfo "HEADROOM_NO_RESTART=1: running deployments keep their version; $hint"
        return
    }
    if ($env:HEADROOM_INSTALL_OS -or $env:HEADROOM_INSTALL_ARCH) { Write-HeadroomInfo $hint; return }
    $help = try { (& $Exe install upgrade-restart --help 2>$null) -join "`n" } catch { '' }
    if ($help -notmatch 'upgrade-restart') { Write-HeadroomInfo $hint; return }
    $out = & $Exe install upgrade-restart 2>&1
    $failed = $LASTEXITCODE -ne 0
    foreach ($line in $out) { if ("$line") { Write-HeadroomInfo "$line" } }
    if ($failed) { Write-HeadroomInfo "warning: not every deployment could be switched to $Version; see 'headroom install status --all'." }
}

function Install-Headroom {
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    # Windows PowerShell 5.1 may default to TLS 1.0.
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

    $target = Get-HeadroomTarget
    $base = if ($env:HEADROOM_DOWNLOAD_URL) { $env:HEADROOM_DOWNLOAD_URL.TrimEnd('/') } else { $HeadroomDefaultBase }
    $latestUrl = if ($env:HEADROOM_DOWNLOAD_URL) { "$base/latest" } else { $HeadroomDefaultLatest }

    $tmp = Join-Path ([IO.Path]::GetTempPath()) ("headroom-install-" + [Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $tmp | Out-Null
    try {
        if ($env:HEADROOM_VERSION) {
            $version = $env:HEADROOM_VERSION.Trim() -replace '^v', ''
        } else {
            Invoke-HeadroomDownload $latestUrl (Join-Path $tmp 'latest')
            $version = (Get-Content -LiteralPath (Join-Path $tmp 'latest') -Raw).Trim()
        }
        if ($version -notmatch '^[0-9A-Za-z][0-9A-Za-z.+_-]*$' -or $version.Contains('..')) {
            throw "'$version' is not a headroom version; set HEADROOM_VERSION to one like 0.1.0."
        }

        $archive = "headroom-$version-$target.zip"
        Write-HeadroomInfo "installing headroom $version for $target"
        $archivePath = Join-Path $tmp $archive
        $sumsPath = Join-Path $tmp 'SHA256SUMS'
        Invoke-HeadroomDownload "$base/$version/$archive" $archivePath
        Invoke-HeadroomDownload "$base/$version/SHA256SUMS" $sumsPath

        $expected = Get-HeadroomExpectedHash $sumsPath $archive
        if (-not $expected) { throw "SHA256SUMS of headroom $version has no entry for $archive; nothing was installed." }
        $actual = (Get-FileHash -LiteralPath $archivePath -Algorithm SHA256).Hash.ToLowerInvariant()
        if ($actual -ne $expected) {
            throw "checksum mismatch for $archive (expected $expected, got $actual); the download is corrupt or was tampered with, so nothing was installed."
        }

        $unpacked = Join-Path $tmp 'unpacked'
        Expand-Archive -LiteralPath $archivePath -DestinationPath $unpacked -Force
        $newExe = Join-Path $unpacked 'headroom.exe'
        if (-not (Test-Path -LiteralPath $newExe -PathType Leaf)) { throw "$archive does not contain headroom.exe; nothing was installed." }

        $dir = if ($env:HEADROOM_INSTALL_DIR) { $env:HEADROOM_INSTALL_DIR } else { Join-Path $env:LOCALAPPDATA 'headroom\bin' }
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $dest = Join-Path $dir 'headroom.exe'
        $previous = $null
        if (Test-Path -LiteralPath $dest -PathType Leaf) {
            try { $previous = (& $dest --version 2>$null | Select-Object -First 1) } catch { $previous = $null }
        }

        # Stage next to the destination, then swap. A running headroom.exe (a deployment's
        # runtime) cannot be overwritten or deleted, but it can be renamed: the old file
        # steps aside first (Rename-Item) and the new one takes its name; the old one is
        # removed now if nothing runs it, else on a later install.
        $staged = Join-Path $dir ".headroom.exe.install-$PID"
        Copy-Item -LiteralPath $newExe -Destination $staged -Force
        Get-ChildItem -LiteralPath $dir -Filter '.headroom.exe.old-*' -Force -ErrorAction SilentlyContinue |
            ForEach-Object { Remove-Item -LiteralPath $_.FullName -Force -ErrorAction SilentlyContinue }
        $old = $null
        if (Test-Path -LiteralPath $dest) {
            $oldName = ".headroom.exe.old-" + [Guid]::NewGuid().ToString('N')
            Rename-Item -LiteralPath $dest -NewName $oldName -Force
            $old = Join-Path $dir $oldName
        }
        try {
            Move-Item -LiteralPath $staged -Destination $dest -Force
        } catch {
            # Put the old program back under its name rather than leave none.
            if ($old) { Rename-Item -LiteralPath $old -NewName 'headroom.exe' -Force -ErrorAction SilentlyContinue }
            Remove-Item -LiteralPath $staged -Force -ErrorAction SilentlyContinue
            throw "cannot place the new headroom.exe in $dir ($($_.Exception.Message)); the old one was kept."
        }
        if ($old) { Remove-Item -LiteralPath $old -Force -ErrorAction SilentlyContinue }

        if ($previous -and $previous -ne $version) {
            Write-HeadroomInfo "upgraded headroom $previous -> $version at $dest"
        } elseif ($previous) {
            Write-HeadroomInfo "reinstalled headroom $version at $dest"
        } else {
            Write-HeadroomInfo "installed headroom $version at $dest"
        }
        if ($previous) { Restart-HeadroomDeployments $dest $version }

        if ($env:HEADROOM_NO_MODIFY_PATH -eq '1') {
            if (-not (Test-HeadroomPathContains $env:Path $dir)) {
                Write-HeadroomInfo "$dir is not on your PATH; add it to run headroom by name."
            }
        } elseif (Add-HeadroomToUserPath $dir) {
            Write-HeadroomInfo "added $dir to your user PATH; open a new terminal to use headroom."
        }
        if (-not (Test-HeadroomPathContains $env:Path $dir)) { $env:Path = "$env:Path;$dir" }
    } finally {
        Remove-Item -LiteralPath $tmp -Recurse -Force -ErrorAction SilentlyContinue
    }
}

try {
    Install-Headroom
} catch {
    Write-Host "headroom-install: error: $($_.Exception.Message)" -ForegroundColor Red
    # `exit` would close the window of someone who ran `irm ... | iex`; only a script file exits.
    if ($PSCommandPath) { exit 1 }
}
