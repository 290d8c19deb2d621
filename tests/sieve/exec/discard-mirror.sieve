# discard cancels the keep; the copy on the standby is still made
require "vnd.standby.mirror";
mirror :mailbox "Archive";
discard;
