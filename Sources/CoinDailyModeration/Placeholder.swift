// Placeholder: the moderation producer's model goes here (replace this file).
