// SPDX-License-Identifier: AGPL-3.0-or-later
/**
 * The real Terraform AWS provider against the gateway: `terraform apply` of S3, DynamoDB,
 * CloudWatch, Logs and EC2/EBS/VPC resources, then `terraform plan -detailed-exitcode` must find
 * no drift (the provider reads every attribute back and compares), then `terraform destroy`.
 *
 * Terraform and the provider cannot be installed from npm or Debian: the test runs where a
 * `terraform` binary is on PATH and the hashicorp/aws provider sits in a filesystem mirror
 * ($MCGW_TF_PLUGINS, default /opt/tf-plugins), and is skipped with that reason elsewhere.
 * conformance/ec2/terraform.test.ts replays the provider's call sequences where it cannot run.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import t from 'tap';
import { run, startTestGateway, type TestGatewayHandle } from '../harness.js';

const PLUGINS = process.env.MCGW_TF_PLUGINS ?? '/opt/tf-plugins';
const PROVIDER_DIR = join(PLUGINS, 'registry.terraform.io', 'hashicorp', 'aws');

function providerVersion(): string | undefined {
  if (!existsSync(PROVIDER_DIR)) return undefined;
  return readdirSync(PROVIDER_DIR).filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort().pop();
}

async function haveTerraform(): Promise<boolean> {
  try {
    return (await run('terraform', ['version'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, TF_CLI_CONFIG_FILE: '/dev/null' } })).code === 0;
  } catch {
    return false;
  }
}

function config(gw: TestGatewayHandle, version: string): string {
  const endpoints = ['s3', 'ec2', 'dynamodb', 'sts', 'iam', 'cloudwatch', 'logs'].map((s) => `    ${s} = "${gw.url}"`).join('\n');
  return `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "${version}" }
  }
}
provider "aws" {
  region                  = "${gw.region}"
  access_key              = "${gw.credentials.accessKeyId}"
  secret_key              = "${gw.credentials.secretAccessKey}"
  skip_metadata_api_check = true
  s3_use_path_style       = true
  endpoints {
${endpoints}
  }
}

resource "aws_s3_bucket" "b" {
  bucket = "tf-conformance-bucket"
  tags   = { env = "test" }
}
resource "aws_s3_bucket_versioning" "v" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_object" "o" {
  bucket  = aws_s3_bucket.b.id
  key     = "hello.txt"
  content = "hello terraform"
}
resource "aws_dynamodb_table" "t" {
  name         = "tf-table"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  range_key    = "at"
  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "at"
    type = "N"
  }
  ttl {
    attribute_name = "expires"
    enabled        = true
  }
  tags = { env = "test" }
}
resource "aws_cloudwatch_log_group" "lg" {
  name              = "/tf/app"
  retention_in_days = 7
}
resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "tf-cpu-high"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "CPUUtilization"
  namespace           = "AWS/EC2"
  period              = 60
  statistic           = "Average"
  threshold           = 80
  dimensions          = { InstanceId = aws_instance.i.id }
}

resource "aws_vpc" "v" {
  cidr_block = "10.20.0.0/16"
  tags       = { Name = "tf-vpc" }
}
resource "aws_subnet" "s" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "${gw.region}a"
}
resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.v.id
}
resource "aws_route_table" "rt" {
  vpc_id = aws_vpc.v.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.rt.id
}
resource "aws_security_group" "sg" {
  name   = "tf-sg"
  vpc_id = aws_vpc.v.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_key_pair" "k" {
  key_name   = "tf-key"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvG0tJ0m7yXf5oE8e6mJ0m8m1f3wYdPz4f3f4m3XbqF tf@test"
}
data "aws_ami" "debian" {
  most_recent = true
  owners      = ["amazon", "self"]
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}
resource "aws_instance" "i" {
  ami                    = data.aws_ami.debian.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.sg.id]
  key_name               = aws_key_pair.k.key_name
  user_data              = "#!/bin/sh\\necho hi\\n"
  tags                   = { Name = "tf-instance" }
  root_block_device {
    volume_size = 10
  }
}
resource "aws_ebs_volume" "d" {
  availability_zone = "${gw.region}a"
  size              = 2
  type              = "gp3"
}
resource "aws_volume_attachment" "att" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.d.id
  instance_id = aws_instance.i.id
}
resource "aws_eip" "ip" {
  domain   = "vpc"
  instance = aws_instance.i.id
}
`;
}

const version = providerVersion();
const skip = !version
  ? `no hashicorp/aws provider in the filesystem mirror ${PLUGINS} (set MCGW_TF_PLUGINS)`
  : !(await haveTerraform())
    ? 'no terraform binary on PATH'
    : false;

t.test('terraform apply, plan without drift, destroy', { skip }, async (t) => {
  if (!version) return;

  const gw = await startTestGateway(t);
  const dir = mkdtempSync(join(tmpdir(), 'mcgw-tf-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'cli.tfrc'), `provider_installation {\n  filesystem_mirror {\n    path    = "${PLUGINS}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`);
  writeFileSync(join(dir, 'main.tf'), config(gw, version));
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc'),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const tf = (...args: string[]) => run('terraform', [`-chdir=${dir}`, ...args, '-no-color'], { env, timeoutMs: 600_000 });
  const show = (r: { stdout: string; stderr: string }) => `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`;

  const init = await tf('init', '-input=false');
  t.equal(init.code, 0, `terraform init\n${init.code ? show(init) : ''}`);
  if (init.code) return;

  const apply = await tf('apply', '-auto-approve', '-input=false');
  t.equal(apply.code, 0, `terraform apply${apply.code ? `\n${show(apply)}` : ''}`);
  t.match(apply.stdout, /Apply complete! Resources: 17 added, 0 changed, 0 destroyed\./);
  if (apply.code) return;

  // what the provider created is there, seen through the SDK
  const s3 = new S3Client(gw.clientConfig);
  const obj = await s3.send(new GetObjectCommand({ Bucket: 'tf-conformance-bucket', Key: 'hello.txt' }));
  t.equal(await obj.Body!.transformToString(), 'hello terraform');
  const ddb = new DynamoDBClient(gw.clientConfig);
  const table = await ddb.send(new DescribeTableCommand({ TableName: 'tf-table' }));
  t.equal(table.Table!.TableStatus, 'ACTIVE');
  const ec2 = new EC2Client(gw.clientConfig);
  const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['tf-instance'] }] }));
  const inst = res.Reservations!.flatMap((r) => r.Instances!);
  t.equal(inst.length, 1);
  t.equal(inst[0]!.State!.Name, 'running');
  t.ok(inst[0]!.PublicIpAddress, 'the Elastic IP is associated');
  const vols = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [inst[0]!.InstanceId!] }] }));
  t.same(vols.Volumes!.map((v) => v.Attachments![0]!.Device).sort(), ['/dev/sdf', '/dev/xvda'], 'root and attached data volume');

  // a second plan reads every attribute back: no drift
  const plan = await tf('plan', '-detailed-exitcode', '-input=false');
  t.equal(plan.code, 0, `terraform plan -detailed-exitcode finds no changes${plan.code ? `\n${show(plan)}` : ''}`);
  t.match(plan.stdout, /No changes\./);

  const destroy = await tf('destroy', '-auto-approve', '-input=false');
  t.equal(destroy.code, 0, `terraform destroy${destroy.code ? `\n${show(destroy)}` : ''}`);
  t.match(destroy.stdout, /Destroy complete! Resources: 17 destroyed\./);
  t.same((await s3.send(new ListBucketsCommand({}))).Buckets ?? [], [], 'no bucket left');
  t.same((await ddb.send(new ListTablesCommand({}))).TableNames, [], 'no table left');
  const after = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [inst[0]!.InstanceId!] }));
  t.equal(after.Reservations![0]!.Instances![0]!.State!.Name, 'terminated');
});
