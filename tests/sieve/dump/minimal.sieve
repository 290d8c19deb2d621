require "vnd.standby.mirror";
mirror;
