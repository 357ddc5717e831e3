# The AWS target: the variables' defaults are AWS's settings, so nothing here
# differs. make passes this file with -var-file, as it does targets/local.tfvars
# on the local target, so both targets read their settings the same way; put
# your account's choices here (e.g. alarm_actions, tags).
