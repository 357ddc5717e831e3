variable "region" {
  description = "Region whose API Gateway account settings get the CloudWatch Logs role."
  type        = string
  default     = "us-east-1"
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
