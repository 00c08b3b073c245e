-- The feature catalog every deployment starts with; ids are part of the wire contract.
INSERT INTO `features` (`id`, `name`, `execution_credits`, `date_created`) VALUES
  (1, 'IncreasedNumberOfJobExecutions100KPerMonth', 100000, '2024-01-01T00:00:00Z'),
  (2, 'IncreasedRetryMaxByFive', 0, '2024-01-01T00:00:00Z'),
  (3, 'IncreasedJobPayloadSizeTo1MB', 0, '2024-01-01T00:00:00Z'),
  (4, 'IncreasedExecutionLogs90DaysRetention', 0, '2024-01-01T00:00:00Z'),
  (5, 'TeamMembers', 0, '2024-01-01T00:00:00Z'),
  (6, 'IncreasedNumberOfClassifyRequests100KPerMonth', 0, '2024-01-01T00:00:00Z'),
  (7, 'IncreasedNumberOfPromptRequests100KPerMonth', 0, '2024-01-01T00:00:00Z');
