// Placeholder: the tasks producer's model goes here (replace this file).
