#!/usr/bin/python3
"""Cross-check kvs-emulator with clients nobody here wrote: boto3/botocore
and the AWS CLI v2, from Debian's packages. Skipped (exit 77, reason printed)
when they are absent.

usage: crosscheck_boto3.py PATH/TO/kvs-emulator
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77

try:
    import boto3
    import botocore
    import botocore.config
    from botocore.exceptions import ClientError
except ImportError as e:
    print(f"SKIP: boto3/botocore not installed ({e}); apt-get install python3-boto3")
    sys.exit(SKIP)

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-west-2"
START = 1764000000  # 2025-11-24T16:00:00Z
COUNT = 250
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def start_emulator(exe, log):
    p = subprocess.Popen(
        [exe, "--port", "0", "--synthetic", f"cam:{COUNT}:2",
         "--start-time", str(START), "--no-rate-limit", "--request-log", log,
         "--sso-token", "crosscheck-sso-token"],
        stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("PORT "):
        p.kill()
        sys.exit(f"kvs-emulator did not start: {line!r}")
    return p, int(line.split()[1])


def client(service, url, secret=SECRET_KEY):
    return boto3.client(
        service, endpoint_url=url, region_name=REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"max_attempts": 1}))


def ebml_fragment_numbers(data):
    """Fragment numbers from the AWS tags of a media response, in order."""
    tag = b"AWS_KINESISVIDEO_FRAGMENT_NUMBER"
    out, pos = [], 0
    while (pos := data.find(tag, pos)) >= 0:
        pos += len(tag)
        # TagString (0x44 0x87), a 1-byte size, then the digits
        i = data.find(b"\x44\x87", pos)
        size = data[i + 2] & 0x7F
        out.append(data[i + 3:i + 3 + size].decode())
    return out


def opens_kvs(url, creds, what):
    kv = boto3.client(
        "kinesisvideo", endpoint_url=url, region_name=REGION,
        aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
        aws_session_token=creds[2])
    ep = kv.get_data_endpoint(StreamName="cam", APIName="LIST_FRAGMENTS")
    check(ep["DataEndpoint"] == url, f"keys from {what} open Kinesis Video")


def check_sts_and_sso(url):
    """The emulator's STS (XML) and SSO portal (JSON) read by botocore."""
    role = "arn:aws:iam::123456789012:role/kvs-reader"
    sts = client("sts", url)
    c = sts.assume_role(RoleArn=role, RoleSessionName="crosscheck",
                        DurationSeconds=900, ExternalId="ext")["Credentials"]
    check(c["AccessKeyId"].startswith("ASIA")
          and 0 < c["Expiration"].timestamp() - time.time() <= 900,
          "botocore parses AssumeRole's answer")
    opens_kvs(url, (c["AccessKeyId"], c["SecretAccessKey"],
                    c["SessionToken"]), "AssumeRole")
    anon = boto3.client("sts", endpoint_url=url, region_name=REGION,
                        config=botocore.config.Config(
                            signature_version=botocore.UNSIGNED))
    w = anon.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="pod-1",
        WebIdentityToken="eyJ.token.sig")["Credentials"]
    opens_kvs(url, (w["AccessKeyId"], w["SecretAccessKey"],
                    w["SessionToken"]), "AssumeRoleWithWebIdentity")
    try:
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:user/not-a-role",
                        RoleSessionName="crosscheck")
        check(False, "a malformed role ARN is rejected")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationError",
              "a malformed role ARN gives ValidationError")
    sso = boto3.client("sso", endpoint_url=url, region_name=REGION,
                       config=botocore.config.Config(
                           signature_version=botocore.UNSIGNED))
    r = sso.get_role_credentials(roleName="Reader", accountId="123456789012",
                                 accessToken="crosscheck-sso-token")
    rc = r["roleCredentials"]
    opens_kvs(url, (rc["accessKeyId"], rc["secretAccessKey"],
                    rc["sessionToken"]), "the SSO portal")
    try:
        sso.get_role_credentials(roleName="Reader", accountId="123456789012",
                                 accessToken="wrong")
        check(False, "an unknown SSO token is rejected")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "UnauthorizedException",
              "an unknown SSO token gives UnauthorizedException")


def main():
    exe = sys.argv[1]
    tmp = tempfile.mkdtemp()
    log = os.path.join(tmp, "requests.jsonl")
    proc, port = start_emulator(exe, log)
    url = f"http://127.0.0.1:{port}"
    try:
        kv = client("kinesisvideo", url)
        ep = kv.get_data_endpoint(StreamName="cam", APIName="LIST_FRAGMENTS")
        check(ep["DataEndpoint"] == url, "GetDataEndpoint returns our URL")

        am = client("kinesis-video-archived-media", ep["DataEndpoint"])
        pages = am.get_paginator("list_fragments").paginate(
            StreamName="cam",
            FragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP",
                              "TimestampRange": {"StartTimestamp": START,
                                                 "EndTimestamp": START + 10000}},
            PaginationConfig={"PageSize": 100})
        frags, npages = [], 0
        for page in pages:
            npages += 1
            frags += page["Fragments"]
        numbers = [f["FragmentNumber"] for f in frags]
        check(len(numbers) == COUNT and len(set(numbers)) == COUNT,
              f"paginator lists {COUNT} distinct fragments in {npages} pages")
        check(numbers != sorted(numbers, key=lambda n: (len(n), n)),
              "fragments come unordered")
        check(all(len(n) == 47 for n in numbers), "47-digit fragment numbers")
        first = min(frags, key=lambda f: f["ProducerTimestamp"])
        check(first["ProducerTimestamp"].timestamp() == START,
              "botocore parses the Java-double timestamps")

        wanted = sorted(numbers, key=lambda n: (len(n), n))[:5]
        media = am.get_media_for_fragment_list(StreamName="cam",
                                               Fragments=wanted)
        body = media["Payload"].read()
        sizes = {f["FragmentNumber"]: f["FragmentSizeInBytes"] for f in frags}
        check(len(body) == sum(sizes[n] for n in wanted),
              f"media body has the listed sizes ({len(body)} bytes)")
        check(ebml_fragment_numbers(body) == wanted,
              "media holds the fragments in request order")

        try:
            bad = client("kinesis-video-archived-media", url, secret="wrong")
            bad.list_fragments(StreamName="cam")
            check(False, "a wrong secret is rejected")
        except ClientError as e:
            check(e.response["Error"]["Code"] == "InvalidSignatureException",
                  "a wrong secret gives InvalidSignatureException")

        try:
            am.list_fragments(StreamName="nope")
            check(False, "an unknown stream is rejected")
        except ClientError as e:
            check(e.response["Error"]["Code"] == "ResourceNotFoundException"
                  and e.response["ResponseMetadata"]["HTTPStatusCode"] == 404,
                  "an unknown stream gives 404 ResourceNotFoundException")

        check_sts_and_sso(url)

        aws = shutil.which("aws")
        if aws:
            env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY,
                       AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                       AWS_DEFAULT_REGION=REGION,
                       AWS_EC2_METADATA_DISABLED="true",
                       AWS_CONFIG_FILE="/dev/null",
                       AWS_SHARED_CREDENTIALS_FILE="/dev/null")
            out = subprocess.run(
                [aws, "kinesis-video-archived-media", "list-fragments",
                 "--endpoint-url", url, "--stream-name", "cam",
                 "--page-size", "60", "--output", "json"],
                env=env, capture_output=True, text=True, timeout=120)
            listed = json.loads(out.stdout)["Fragments"] if out.returncode == 0 else []
            check(len(listed) == COUNT,
                  f"aws cli list-fragments pages through {len(listed)} fragments"
                  + (f" ({out.stderr.strip()[:200]})" if out.returncode else ""))
            dest = os.path.join(tmp, "media.mkv")
            out = subprocess.run(
                [aws, "kinesis-video-archived-media",
                 "get-media-for-fragment-list", dest, "--endpoint-url", url,
                 "--stream-name", "cam", "--fragments", *wanted],
                env=env, capture_output=True, text=True, timeout=120)
            check(out.returncode == 0 and os.path.getsize(dest) == len(body),
                  "aws cli get-media-for-fragment-list downloads the same bytes")
        else:
            print("SKIP: aws cli not installed; apt-get install awscli")

        with open(log) as f:
            entries = [json.loads(line) for line in f]
        ops = {e["operation"] for e in entries}
        check({"GetDataEndpoint", "ListFragments",
               "GetMediaForFragmentList"} <= ops, "request log records calls")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{0 if FAILURES else 1} passed, {1 if FAILURES else 0} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
